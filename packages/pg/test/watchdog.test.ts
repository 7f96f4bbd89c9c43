import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkout, configure, events, startWatchdog, TransactionKilledError, withContext, withTransaction, type LeaseInfo } from '../src/index.js';
import { countingPool, gate, makePool, until } from './helpers/pools.js';

describe('watchdog: long transactions and held clients are reported, and optionally rolled back', () => {
  let cluster: Cluster;
  let raw: pg.Pool;
  const logged: string[] = [];
  let stop = () => {};
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-watchdog' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    raw = makePool(cluster, { max: 2 });
    configure({ logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) } });
  });
  afterEach(() => stop());
  afterAll(async () => {
    await raw?.end();
    await cluster?.destroy();
  });

  it('reports with opening stack and idle time, then closes the connection: the server rolls back, the code is refused', async () => {
    const { pool, releases } = countingPool(raw);
    const reported: LeaseInfo[] = [];
    const killed: LeaseInfo[] = [];
    events.on('long-transaction', (info) => reported.push(info));
    events.on('transaction-killed', (info) => killed.push(info));
    stop = startWatchdog({ warnAfterMs: 100, killAfterMs: 400, intervalMs: 20 });
    const hold = gate();
    let pid = 0;
    const outcome = withContext({ route: 'GET /slow' }, () =>
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        pid = tx.backendPid ?? 0;
        await hold.wait; // e.g. an HTTP call made while the transaction is open
        await tx.query('INSERT INTO t VALUES (2)');
      }),
    ).catch((e: unknown) => e);

    const info = await until(() => reported[0], 'the report');
    expect(info).toMatchObject({ kind: 'transaction', backendPid: pid, route: 'GET /slow', state: 'idle' });
    expect(info.ageMs).toBeGreaterThanOrEqual(100);
    expect(info.idleMs).toBeGreaterThan(50);
    expect(info.origin).toMatch(/^packages\/pg\/test\/watchdog\.test\.ts:\d+$/);
    expect(info.stack).toContain('watchdog.test.ts');
    expect(logged.some((l) => /^transaction open \d+ ms \(idle for \d+ ms\), backend pid \d+, opened at .*watchdog\.test\.ts:\d+ for GET \/slow/.test(l))).toBe(true);
    // The server confirms: idle in transaction, then gone once the second threshold passes.
    expect((await cluster.sql('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.state).toBe('idle in transaction');
    await until(() => killed.length > 0, 'the kill');
    await until(async () => (await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0, 'the backend to exit');
    hold.open();
    const error = await outcome;
    expect(error).toBeInstanceOf(TransactionKilledError);
    expect((error as Error).message).toContain('watchdog');
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });

  it('a short transaction is not reported', async () => {
    const reported: LeaseInfo[] = [];
    events.on('long-transaction', (info) => reported.push(info));
    stop = startWatchdog({ warnAfterMs: 200, intervalMs: 20 });
    await withTransaction(raw, (tx) => tx.query('SELECT 1'));
    await new Promise((resolve) => setTimeout(resolve, 260));
    expect(reported).toEqual([]);
  });

  it('a client held through checkout() is reported too, and its release is guarded to happen once', async () => {
    const reported: LeaseInfo[] = [];
    events.on('long-transaction', (info) => reported.push(info));
    stop = startWatchdog({ warnAfterMs: 50, intervalMs: 10 });
    const client = await checkout<pg.PoolClient>(raw);
    await client.query('SELECT 1');
    const info = await until(() => reported.find((r) => r.kind === 'client'), 'the report');
    expect(info.origin).toMatch(/watchdog\.test\.ts:\d+$/);
    expect(info.backendPid).toBeGreaterThan(0);
    client.release();
    expect(() => client.release()).not.toThrow();
    expect(raw.idleCount).toBe(raw.totalCount);
  });
});
