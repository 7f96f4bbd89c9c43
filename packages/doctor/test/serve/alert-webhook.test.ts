import { afterEach, describe, expect, it } from 'vitest';
import { createAlerter, type Alerter, type AlerterOptions } from '../../src/monitor/alerts/alerter.js';
import { fingerprint } from '../../src/monitor/alerts/fingerprint.js';
import type { AlertRecord } from '../../src/monitor/history-store.js';
import { VERSION } from '../../src/version.js';
import { eventOf, findingOf } from '../fixtures/finding-events.js';
import { startReceiver, type Answer, type Receiver } from './webhook-receiver.js';

// The alerter against real HTTP receivers on 127.0.0.1: what goes over the wire, when, and what happens when a
// receiver fails or never answers. Time is the injected clock; nothing here waits on a timer to make a point.

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const EXTERNAL = 'http://doctor.internal:9187';

const wraparound = eventOf('prod', findingOf('xid-wraparound'), T0);
const idle = eventOf('prod', findingOf('idle-in-transaction'), T0);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(answer?: Answer): Promise<Receiver> {
  const r = await startReceiver(answer);
  cleanups.push(() => r.close());
  return r;
}

function alerter(options: Partial<AlerterOptions> & Pick<AlerterOptions, 'webhooks'>) {
  const logs: string[] = [];
  const records: AlertRecord[] = [];
  const instance: Alerter = createAlerter({
    externalUrl: EXTERNAL,
    backoffMs: 10,
    log: (line) => logs.push(line),
    record: async (a) => {
      records.push(a);
    },
    ...options,
  });
  cleanups.push(() => instance.stop());
  return { alerter: instance, logs, records };
}

describe('alert webhooks', () => {
  it('fire only after alertFor, with Alertmanager\'s message exactly, and resolve when the finding closes', async () => {
    const hook = await receiver();
    const { alerter: a, records } = alerter({ webhooks: [`${hook.url}/alerts`] });

    a.update('prod', [wraparound], T0 + MIN);
    await a.flush();
    expect(hook.requests).toEqual([]);
    expect(records).toEqual([]);

    a.update('prod', [wraparound], T0 + 2 * MIN);
    await a.flush();
    expect(hook.requests).toHaveLength(1);
    const [post] = hook.requests;
    expect(post).toMatchObject({ method: 'POST', path: '/alerts' });
    expect(post!.headers['content-type']).toBe('application/json');
    expect(post!.headers['user-agent']).toBe(`mvcc-doctor/${VERSION}`);
    expect(post!.headers.authorization).toBeUndefined();
    const labels = { alertname: 'MvccXidWraparound', check: 'xid-wraparound', cluster: 'prod', database: 'app', severity: 'critical' };
    const annotations = {
      description: wraparound.finding.why,
      fix: 'VACUUM (FREEZE, TRUNCATE false, VERBOSE) "public"."orders";',
      summary: wraparound.finding.summary,
    };
    const alert = {
      status: 'firing',
      labels,
      annotations,
      startsAt: '2026-01-05T09:02:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `${EXTERNAL}/#/cluster/prod?finding=${encodeURIComponent(wraparound.key)}`,
      fingerprint: fingerprint(labels),
    };
    expect(JSON.parse(post!.body)).toEqual({
      receiver: 'mvcc-doctor',
      status: 'firing',
      alerts: [alert],
      groupLabels: { alertname: 'MvccXidWraparound', cluster: 'prod' },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: EXTERNAL,
      version: '4',
      groupKey: '{}:{alertname="MvccXidWraparound", cluster="prod"}',
      truncatedAlerts: 0,
    });

    a.update('prod', [], T0 + 7 * MIN);
    await a.flush();
    expect(hook.requests).toHaveLength(2);
    const resolved = JSON.parse(hook.requests[1]!.body);
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts).toEqual([{ ...alert, status: 'resolved', endsAt: '2026-01-05T09:07:00Z' }]);

    expect(records.map((r) => [r.name, r.status, r.startsAt, r.endsAt, r.at])).toEqual([
      ['MvccXidWraparound', 'firing', T0 + 2 * MIN, undefined, T0 + 2 * MIN],
      ['MvccXidWraparound', 'resolved', T0 + 2 * MIN, T0 + 7 * MIN, T0 + 7 * MIN],
    ]);
    expect(a.active()).toEqual([]);
  });

  it('never resend an unchanged state, and repeat firing alerts every repeatInterval of the injected clock', async () => {
    const hook = await receiver();
    let clock = T0 + 3 * MIN;
    const { alerter: a } = alerter({ webhooks: [hook.url], repeatIntervalMs: 60 * MIN, now: () => clock });
    a.update('prod', [wraparound, idle]);
    await a.flush();
    expect(hook.requests).toHaveLength(2); // two groups: one notification each

    for (clock = T0 + 4 * MIN; clock < T0 + 63 * MIN; clock += 5 * MIN) a.update('prod', [wraparound, idle]);
    await a.flush();
    expect(hook.requests).toHaveLength(2);

    clock = T0 + 63 * MIN;
    a.update('prod', [wraparound, idle]);
    await a.flush();
    expect(hook.requests).toHaveLength(4);
    // A repeat says the same as the first notification.
    expect(hook.requests.slice(2).map((r) => r.body).sort()).toEqual(hook.requests.slice(0, 2).map((r) => r.body).sort());
    expect(a.active().map((r) => r.name).sort()).toEqual(['MvccIdleInTransaction', 'MvccXidWraparound']);
  });

  it('retry a POST the receiver answered with 500, and give up on a 400 at once', async () => {
    const flaky = await receiver((i) => (i === 0 ? 500 : 200));
    const refusing = await receiver(() => 400);
    const { alerter: a, logs } = alerter({ webhooks: [flaky.url, refusing.url] });
    a.update('prod', [wraparound], T0 + 3 * MIN);
    await a.flush();
    expect(flaky.requests).toHaveLength(2);
    expect(flaky.requests[1]!.body).toBe(flaky.requests[0]!.body);
    expect(refusing.requests).toHaveLength(1);
    // The two webhooks are delivered to side by side: their lines may come in either order.
    expect([...logs].sort()).toEqual([
      `alert webhook 1 (${flaky.url}): HTTP 500; retry 1 of 3 in 10 ms`,
      `alert webhook 2 (${refusing.url}): {}:{alertname="MvccXidWraparound", cluster="prod"} not delivered after 1 attempt(s): HTTP 400`,
    ]);
  });

  it('stop retrying after the attempts allowed, and send the lost resolution with the group\'s next notification', async () => {
    let down = true;
    const hook = await receiver(() => (down ? 503 : 200));
    const { alerter: a, logs } = alerter({ webhooks: [hook.url], attempts: 3 });
    a.update('prod', [wraparound], T0 + 3 * MIN);
    await a.flush();
    a.update('prod', [], T0 + 4 * MIN);
    await a.flush();
    expect(hook.requests).toHaveLength(6);
    expect(logs.filter((l) => l.includes('not delivered after 3 attempt(s): HTTP 503'))).toHaveLength(2);

    down = false;
    const billing = eventOf('prod', { ...findingOf('xid-wraparound'), subject: { database: 'billing' } }, T0 + 10 * MIN);
    a.update('prod', [billing], T0 + 12 * MIN);
    await a.flush();
    const last = JSON.parse(hook.requests.at(-1)!.body);
    expect(last.alerts.map((x: { status: string; labels: { database: string }; endsAt: string }) => [x.status, x.labels.database, x.endsAt])).toEqual([
      ['resolved', 'app', '2026-01-05T09:04:00Z'],
      ['firing', 'billing', '0001-01-01T00:00:00Z'],
    ]);
  });

  it('time-limit each POST: a receiver that never answers costs its attempts, then is given up on', async () => {
    const silent = await receiver(() => 'hang');
    const { alerter: a, logs } = alerter({ webhooks: [silent.url], timeoutMs: 200, attempts: 2 });
    a.update('prod', [wraparound], T0 + 3 * MIN);
    await a.flush();
    expect(silent.requests).toHaveLength(2);
    expect(logs).toEqual([
      `alert webhook 1 (${silent.url}): no answer within 200 ms; retry 1 of 1 in 10 ms`,
      `alert webhook 1 (${silent.url}): {}:{alertname="MvccXidWraparound", cluster="prod"} not delivered after 2 attempt(s): no answer within 200 ms`,
    ]);
  });

  it('keep delivering to a live receiver while another never answers, and never make update() wait', async () => {
    const silent = await receiver(() => 'hang');
    const live = await receiver();
    const { alerter: a, logs } = alerter({ webhooks: [silent.url, live.url], timeoutMs: 600_000 });

    expect(a.update('prod', [wraparound], T0 + 3 * MIN)).toBeUndefined();
    await live.received(1);
    await silent.received(1);
    a.update('prod', [], T0 + 4 * MIN);
    await live.received(2);
    expect(JSON.parse(live.requests[1]!.body).status).toBe('resolved');
    // The silent receiver still holds the first POST, unanswered; the resolution waits behind it, not beside it.
    expect(silent.hanging).toHaveLength(1);
    expect(silent.requests).toHaveLength(1);

    await a.stop();
    expect(silent.requests).toHaveLength(1);
    // (The live receiver's second answer may still be on its way when stop() aborts it: only the silent one is certain.)
    expect(logs.filter((l) => l.startsWith('alert webhook 1 '))).toEqual([
      `alert webhook 1 (${silent.url}): {}:{alertname="MvccXidWraparound", cluster="prod"} not delivered, the daemon is stopping (aborted)`,
    ]);
    a.update('prod', [wraparound], T0 + 10 * MIN);
    await a.flush();
    expect(live.requests).toHaveLength(2);
  });

  it('send a webhook URL\'s credentials as Basic auth, and never write them to the log', async () => {
    const guarded = await receiver((i) => (i === 0 ? 500 : 401));
    const closed = await startReceiver();
    await closed.close(); // a port nothing listens on any more: connection refused
    const { alerter: a, logs } = alerter({
      webhooks: [`http://alice:s3cret%2Fpw@127.0.0.1:${guarded.port}/hook?channel=db`, `http://bob:hunter2-pw@127.0.0.1:${closed.port}/hook`],
      attempts: 2,
    });
    a.update('prod', [wraparound], T0 + 3 * MIN);
    await a.flush();
    expect(guarded.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/hook?channel=db', `Basic ${Buffer.from('alice:s3cret/pw').toString('base64')}`],
      ['/hook?channel=db', `Basic ${Buffer.from('alice:s3cret/pw').toString('base64')}`],
    ]);
    expect(logs.length).toBeGreaterThanOrEqual(4);
    expect(logs.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
    for (const line of logs) {
      for (const secret of ['s3cret', 'alice', 'bob', 'hunter2', 'channel=db', '/hook']) expect(line).not.toContain(secret);
    }
  });
});
