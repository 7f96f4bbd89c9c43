import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, freePort, idleInTransaction, type IdleInTransactionFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/monitor/serve-config.js';
import { startServe, type Daemon } from '../../src/monitor/serve.js';
import { documentedExamples, keyPaths, nullPaths, OPTIONAL } from './doc-shape.js';
import { startReceiver } from './webhook-receiver.js';
import { until } from './until.js';

/** Fetch JSON from the daemon; every body is also checked for the targets' password. */
async function get<T = Record<string, unknown>>(daemon: Daemon, path: string): Promise<T> {
  const response = await fetch(new URL(path, daemon.url));
  const text = await response.text();
  expect(text).not.toContain(PASSWORD);
  expect(response.status, text).toBe(200);
  return (path === '/metrics' ? text : JSON.parse(text)) as T;
}

const PASSWORD = 'sekret-pw-42';


describe('serve: one daemon, a live cluster with a fault and a dead one', () => {
  let cluster: Cluster;
  let dead: number;
  let dataDir: string;
  let daemon: Daemon;
  let logs: string[];
  let fault: IdleInTransactionFault;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const config = () =>
    resolveServeConfig(
      {
        target: [`live=postgresql://postgres:${PASSWORD}@127.0.0.1:${cluster.port}/postgres`, `dead=postgresql://postgres:${PASSWORD}@127.0.0.1:${dead}/postgres?connect_timeout=2`],
        data: dataDir,
        listen: '127.0.0.1:0',
        interval: '1s',
        threshold: ['idleInTransactionSeconds=0'],
        webhook: [`http://alerts:${PASSWORD}@127.0.0.1:${receiver.port}/hook`],
        'alert-for': '2s',
      },
      {},
    );

  beforeAll(async () => {
    cluster = await Cluster.create();
    dead = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'mvcc-serve-'));
    fault = await idleInTransaction(cluster, { pin: 'xid', deadRows: 10, applicationName: 'shop-api' });
    receiver = await startReceiver();
    logs = [];
    daemon = await startServe(config(), (line) => logs.push(line));
  });

  afterAll(async () => {
    await daemon?.stop();
    await receiver?.close();
    await fault?.release().catch(() => undefined);
    await cluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('observes the live cluster while the dead one is unreachable, and never shows a password', async () => {
    const clusters = await until('both clusters observed', async () => {
      const { clusters } = await get<{ clusters: { name: string; up: boolean | null; error: string | null }[] }>(daemon, '/api/clusters');
      return clusters.every((c) => c.up !== null) && clusters;
    });
    expect(clusters.find((c) => c.name === 'live')).toMatchObject({ up: true, error: null });
    expect(clusters.find((c) => c.name === 'dead')).toMatchObject({ up: false, error: expect.stringContaining('unreachable') });
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('records time series for the API and /metrics', async () => {
    const { series } = await until('three points of XID age', async () => {
      const body = await get<{ series: { labels: Record<string, string>; points: [number, number][] }[] }>(daemon, '/api/series?cluster=live&metric=mvcc_database_xid_age_xids&database=postgres');
      return (body.series[0]?.points.length ?? 0) >= 3 && body;
    });
    expect(series).toHaveLength(1);
    expect(series[0]!.labels).toEqual({ database: 'postgres' });
    for (const [t, v] of series[0]!.points) {
      expect(t).toBeGreaterThan(Date.now() - 120_000);
      expect(v).toBeGreaterThan(0);
    }
    const metrics = await get<string>(daemon, '/metrics');
    expect(metrics).toMatch(/^mvcc_database_xid_age_xids\{cluster="live",database="postgres"\} \d+$/m);
    expect(metrics).toMatch(/^mvcc_up\{cluster="dead"\} 0$/m);
    expect(metrics).toMatch(/^mvcc_up\{cluster="live"\} 1$/m);
    expect(metrics).toMatch(new RegExp(`^mvcc_xmin_horizon_age_xids\\{cluster="live",database="postgres",holder_kind="idle-in-transaction",holder="pid ${fault.pid}"\\} \\d+$`, 'm'));
  });

  it('serves /metrics that promtool accepts (Debian prometheus package)', async () => {
    const metrics = await get<string>(daemon, '/metrics');
    // promtool prints lint problems and exits non-zero; execFileSync throws with its output then.
    expect(execFileSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' })).toBe('');
    expect(metrics).not.toMatch(/_xids_seconds|xid_age_seconds/);
  });

  it('opens a finding for the fault, as check reports it, and an unreachable finding for the dead target', async () => {
    const live = await get<{ open: { check: string; finding: { subject: { pid?: number } } }[] }>(daemon, '/api/findings?cluster=live');
    expect(live.open).toContainEqual(expect.objectContaining({ check: 'idle-in-transaction', finding: expect.objectContaining({ subject: expect.objectContaining({ pid: fault.pid }) }) }));
    const dead = await get<{ open: { check: string }[] }>(daemon, '/api/findings?cluster=dead');
    expect(dead.open.map((e) => e.check)).toEqual(['target-unreachable']);
  });

  it('closes the finding once the fault is gone', async () => {
    // The alert fires once the finding has been open for --alert-for; on a loaded machine the tests above can end
    // sooner (it was not fired in one CI run). Released after it has, the fault leaves a firing alert to resolve.
    await until('the idle-in-transaction alert firing', async () =>
      receiver.requests.some((r) => (JSON.parse(r.body) as { alerts: { status: string; labels: Record<string, string> }[] }).alerts.some((a) => a.status === 'firing' && a.labels.pid === String(fault.pid))),
    );
    await fault.release();
    const events = await until('the idle-in-transaction event closed', async () => {
      const { events } = await get<{ events: { check: string; closedAt?: number; finding: { subject: { pid?: number } } }[] }>(daemon, '/api/events?cluster=live');
      const mine = events.filter((e) => e.check === 'idle-in-transaction' && e.finding.subject.pid === fault.pid);
      return mine.length > 0 && mine.every((e) => e.closedAt !== undefined) && mine;
    });
    expect(events).toHaveLength(1);
    // Its alert resolves, and the history keeps both states.
    await until('the idle-in-transaction alert resolved', async () =>
      receiver.requests.some((r) => (JSON.parse(r.body) as { alerts: { status: string; labels: Record<string, string> }[] }).alerts.some((a) => a.status === 'resolved' && a.labels.pid === String(fault.pid))),
    );
    const { history } = await get<{ history: { name: string; status: string; labels: Record<string, string> }[] }>(daemon, '/api/alerts?cluster=live');
    expect(history.filter((a) => a.labels.pid === String(fault.pid)).map((a) => a.status).sort()).toEqual(['firing', 'resolved']);
  });

  it('alerts through the webhook in Alertmanager\'s format once a finding has been open for --alert-for, and resolves it on close', async () => {
    type Message = { version: string; status: string; alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[] };
    const messages = () => receiver.requests.map((r) => JSON.parse(r.body) as Message);
    const alertsOf = (name: string, status: string) => messages().flatMap((m) => m.alerts.filter((a) => a.labels.alertname === name && a.status === status));
    await until('the unreachable alert', async () => alertsOf('MvccTargetUnreachable', 'firing').length > 0);
    const [down] = alertsOf('MvccTargetUnreachable', 'firing');
    expect(down!.labels).toMatchObject({ cluster: 'dead', check: 'target-unreachable', severity: 'critical' });
    expect(messages()[0]!.version).toBe('4');
    // Basic auth from the URL's credentials; the password is in no log line.
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`alerts:${PASSWORD}`).toString('base64')}`);
    expect(logs.join('\n')).not.toContain(PASSWORD);
    const idle = alertsOf('MvccIdleInTransaction', 'firing').find((a) => a.labels.pid === String(fault.pid));
    expect(idle ?? (await until('the idle-in-transaction alert', async () => alertsOf('MvccIdleInTransaction', 'firing').find((a) => a.labels.pid === String(fault.pid))))).toMatchObject({
      labels: { cluster: 'live', check: 'idle-in-transaction', database: 'postgres', pid: String(fault.pid) },
    });
    const { active } = await get<{ active: { name: string }[] }>(daemon, '/api/alerts');
    expect(active.map((a) => a.name)).toContain('MvccTargetUnreachable');
  });

  it('answers with the shapes docs/http-api.md shows: the same keys at every level', async () => {
    const examples = documentedExamples();
    // /api/log-events is checked where a log has events (serve-log-events.test.ts).
    expect([...examples.keys()].sort()).toEqual(['/api/alerts', '/api/clusters', '/api/events', '/api/findings', '/api/log-events', '/api/series']);
    const actual: Record<string, unknown> = {
      '/api/clusters': await get(daemon, '/api/clusters'),
      '/api/series': await get(daemon, '/api/series?cluster=live&metric=mvcc_xmin_horizon_age_seconds'),
      '/api/findings': await get(daemon, '/api/findings?cluster=live'),
      '/api/events': await get(daemon, '/api/events?cluster=live'),
      '/api/alerts': await get(daemon, '/api/alerts'),
    };
    for (const [path, example] of [...examples].filter(([p]) => p !== '/api/log-events')) {
      const documented = keyPaths(example);
      const answered = keyPaths(actual[path]);
      const nulls = nullPaths(actual[path]);
      // Skips happen only when something could not be read.
      const optional = (p: string) => OPTIONAL.has(p.split('.').at(-1)!) || p.startsWith('report.skipped[]') || [...nulls].some((n) => p.startsWith(`${n}.`));
      expect([...answered].filter((p) => !documented.has(p)), `${path}: answered but not documented`).toEqual([]);
      expect([...documented].filter((p) => !answered.has(p) && !optional(p)), `${path}: documented but not answered`).toEqual([]);
    }
  });

  it('answers bad API requests with one clear error', async () => {
    const unknown = await fetch(new URL('/api/series?cluster=nope&metric=mvcc_up', daemon.url));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: 'no cluster is named "nope"' });
    const metric = await fetch(new URL('/api/series?cluster=live&metric=xid_age', daemon.url));
    expect((await metric.json()) as unknown).toEqual({ error: 'unknown metric "xid_age" (the names of /metrics)' });
    const time = await fetch(new URL('/api/series?cluster=live&metric=mvcc_up&from=yesterday', daemon.url));
    expect(time.status).toBe(400);
  });

  it('keeps its history across a restart', async () => {
    const before = await get<{ series: { points: unknown[] }[] }>(daemon, '/api/series?cluster=live&metric=mvcc_up');
    await daemon.stop();
    daemon = await startServe(config(), (line) => logs.push(line));
    const after = await get<{ series: { points: unknown[] }[] }>(daemon, '/api/series?cluster=live&metric=mvcc_up');
    expect(after.series[0]!.points.length).toBeGreaterThanOrEqual(before.series[0]!.points.length);
    // The dead target's finding continues: restored as open, not opened a second time.
    const dead = await until('the dead target observed again', async () => {
      const body = await get<{ open: { check: string; opened_at: string }[] }>(daemon, '/api/findings?cluster=dead');
      return body.open.length > 0 && body;
    });
    const { events } = await get<{ events: { check: string }[] }>(daemon, '/api/events?cluster=dead');
    expect(events.filter((e) => e.check === 'target-unreachable')).toHaveLength(1);
    expect(Date.parse(dead.open[0]!.opened_at)).toBeLessThan(Date.now() - 1000);
  });
});
