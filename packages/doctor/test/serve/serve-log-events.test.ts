import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, deadlocks, type DeadlocksFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_LOG_PRIVILEGE } from '../../src/collect/server-log-file.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import { resolveServeConfig } from '../../src/monitor/serve-config.js';
import { startServe, type Daemon } from '../../src/monitor/serve.js';
import { documentedExamples, keyPaths, OPTIONAL } from './doc-shape.js';
import { until } from './until.js';

const PASSWORD = 'log-sekret-77';

async function get<T>(daemon: Daemon, path: string): Promise<T> {
  const response = await fetch(new URL(path, daemon.url));
  const text = await response.text();
  expect(text).not.toContain(PASSWORD);
  expect(response.status, text).toBe(200);
  return (path === '/metrics' ? text : JSON.parse(text)) as T;
}

interface LogEventsBody {
  log: { source: string; following: boolean; error?: string; events: number } | null;
  events: LogEvent[];
}

const eventsOf = (daemon: Daemon, cluster: string, cls?: string) =>
  get<LogEventsBody>(daemon, `/api/log-events?cluster=${cluster}&from=0${cls ? `&class=${cls}` : ''}`);

/**
 * A target's server log on its timeline. One PostgreSQL 15 cluster whose logging collector starts a new file at each
 * rotation (log_filename with the time in it, as Debian's default has), watched four times: through SQL (the
 * default), through its log directory, with the log off, and as a role that may not read the log.
 */
describe('serve: the server log on the timeline', () => {
  let cluster: Cluster;
  let dataDir: string;
  let daemon: Daemon;
  let logs: string[];
  let fault: DeadlocksFault;

  beforeAll(async () => {
    cluster = await Cluster.create({
      major: 15,
      label: 'servelog',
      settings: { logging_collector: 'on', log_filename: 'postgresql-%Y%m%d_%H%M%S.log', log_rotation_age: 0, log_rotation_size: 0 },
      password: PASSWORD,
    });
    await cluster.sql('CREATE DATABASE shop');
    await cluster.sql(`CREATE ROLE watcher LOGIN PASSWORD '${PASSWORD}'; GRANT pg_monitor TO watcher`);
    dataDir = mkdtempSync(join(tmpdir(), 'mvcc-serve-log-'));
    logs = [];
    const url = (user: string) => `postgresql://${user}:${PASSWORD}@127.0.0.1:${cluster.port}/postgres`;
    const config = resolveServeConfig(
      {
        target: [`viasql=${url('postgres')}`, `viadir=${url('postgres')}`, `quiet=${url('postgres')}`, `noright=${url('watcher')}`],
        log: [`viadir=${cluster.logDir}`, 'quiet=off'],
        data: dataDir,
        listen: '127.0.0.1:0',
        interval: '1s',
      },
      {},
    );
    daemon = await startServe(config, (line) => logs.push(line));
    await until('both logs followed', async () => {
      const { clusters } = await get<{ clusters: { name: string; log: LogEventsBody['log'] }[] }>(daemon, '/api/clusters');
      return ['viasql', 'viadir'].every((name) => clusters.find((c) => c.name === name)?.log?.following) && clusters;
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await fault?.release().catch(() => undefined);
    await cluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a quiet log: followed, nothing on the timeline', async () => {
    // Two observations with nothing happening: no event of any class, a counter of none.
    await new Promise((r) => setTimeout(r, 2500));
    for (const name of ['viasql', 'viadir']) expect((await eventsOf(daemon, name)).events).toEqual([]);
    expect(await get<string>(daemon, '/metrics')).not.toContain('mvcc_log_events_total');
  });

  it('a deadlock: on the timeline of both followers, with both processes, their queries and the code that sent them', async () => {
    fault = await deadlocks(cluster, {
      database: 'shop',
      comments: { a: "/*app='shop',origin='src%2Fpay.ts%3A12'*/", b: "/*app='shop',origin='src%2Frefund.ts%3A40'*/" },
    });
    for (const name of ['viasql', 'viadir']) {
      const { events } = await until(`the deadlock on ${name}'s timeline`, async () => {
        const body = await eventsOf(daemon, name, 'deadlock');
        return body.events.length > 0 && body;
      });
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event).toMatchObject({ class: 'deadlock', pid: fault.victim.pid, origin: { app: 'shop', origin: expect.stringMatching(/^src\/(pay|refund)\.ts:\d+$/) } });
      const processes = event!.fields.processes as { pid: number; query: string }[];
      expect(processes.map((p) => p.pid).sort()).toEqual([fault.victim.pid, fault.survivor.pid].sort());
      expect(processes.map((p) => p.query)).toContain(fault.victim.query);
    }
    const metrics = await until('the deadlock counted in /metrics', async () => {
      const text = await get<string>(daemon, '/metrics');
      return text.includes('mvcc_log_events_total{cluster="viasql",class="deadlock"} 1') && text;
    });
    expect(metrics).toContain('mvcc_log_events_total{cluster="viadir",class="deadlock"} 1');
    expect(metrics).not.toMatch(/mvcc_log_events_total\{cluster="(quiet|noright)"/);
  });

  it('a new log file after rotation: both followers move to it', async () => {
    const before = readdirSync(cluster.logDir).filter((f) => f.endsWith('.log'));
    await new Promise((r) => setTimeout(r, 1100)); // a new second: a new file name
    await cluster.sql('SELECT pg_rotate_logfile()');
    await until('the new log file', async () => readdirSync(cluster.logDir).filter((f) => f.endsWith('.log')).length > before.length);
    const client = await cluster.connect('shop', 'shop-api');
    try {
      await client.query(`SET statement_timeout = '50ms'`);
      // The prefix has no %a: the code is named by the statement's sqlcommenter comment, as @mvcc-doctor/pg writes it.
      const tagged = "SELECT pg_sleep(2) /*app='shop-api',origin='src%2Forders.ts%3A42',route='POST%20%2Forders'*/";
      await expect(client.query(tagged)).rejects.toMatchObject({ code: '57014' });
    } finally {
      await client.end();
    }
    for (const name of ['viasql', 'viadir']) {
      const { events } = await until(`the statement timeout on ${name}'s timeline`, async () => {
        const body = await eventsOf(daemon, name, 'statement-timeout');
        return body.events.length > 0 && body;
      });
      expect(events).toEqual([expect.objectContaining({ class: 'statement-timeout', database: 'shop', origin: expect.objectContaining({ origin: 'src/orders.ts:42', route: 'POST /orders' }) })]);
    }
  });

  it('--log CLUSTER=off reads nothing; a role that may not read the log says what it needs', async () => {
    expect(await eventsOf(daemon, 'quiet')).toEqual({ cluster: 'quiet', log: null, events: [] });
    const body = await until('the privilege reason', async () => {
      const b = await eventsOf(daemon, 'noright');
      return b.log?.error ? b : undefined;
    });
    expect(body.log).toMatchObject({ source: 'server', following: false, error: expect.stringContaining(SERVER_LOG_PRIVILEGE) });
    expect(body.events).toEqual([]);
    expect(logs.join('\n')).not.toContain(PASSWORD);
    expect(logs).toContainEqual(expect.stringMatching(/^cluster viasql: reading its server log through SQL \(stderr\)$/));
  });

  it('answers /api/log-events with the keys docs/http-api.md shows', async () => {
    const example = documentedExamples().get('/api/log-events');
    const actual = await eventsOf(daemon, 'viasql', 'deadlock');
    // What the log did not say (a relation, a user) is absent, as in `logs --json`.
    const optional = new Set([...OPTIONAL, 'relation', 'user', 'database', 'time', 'pid']);
    const documented = keyPaths(example);
    const answered = keyPaths(actual);
    expect([...answered].filter((p) => !documented.has(p))).toEqual([]);
    expect([...documented].filter((p) => !answered.has(p) && !optional.has(p.split('.').at(-1)!))).toEqual([]);
  });

  it('the API refuses what it cannot answer, in one line', async () => {
    const bad = async (query: string) => {
      const response = await fetch(new URL(`/api/log-events?${query}`, daemon.url));
      return { status: response.status, body: (await response.json()) as { error: string } };
    };
    expect(await bad('cluster=nope')).toEqual({ status: 400, body: { error: 'no cluster is named "nope"' } });
    expect(await bad('cluster=viasql&limit=0')).toEqual({ status: 400, body: { error: 'limit takes a whole number from 1 to 5000, not "0"' } });
  });
});
