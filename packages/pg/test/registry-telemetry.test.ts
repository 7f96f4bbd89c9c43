import { createServer, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkout, configure, registryHandler, resetConfiguration, withTransaction, type RegistryBody, type RetryInfo, type TransactionClient } from '../src/index.js';
import { barrier, gate, makePool, until } from './helpers/pools.js';

describe('registry telemetry: memory, event-loop delay, pool clients and transaction outcomes, over real HTTP', () => {
  let cluster: Cluster;
  // The only pool handed to the library in this file (until the last test), so the pool sums are this pool's counters.
  let pool: pg.Pool;
  let server: Server;
  let url = '';
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-telemetry' });
    await cluster.sql('CREATE TABLE doctors (name text PRIMARY KEY, on_call bool NOT NULL)');
    pool = makePool(cluster, { max: 2 });
    server = createServer(registryHandler());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  beforeEach(async () => {
    await cluster.sql("TRUNCATE doctors; INSERT INTO doctors VALUES ('alice', true), ('bob', true)");
  });
  afterAll(async () => {
    resetConfiguration();
    await new Promise((resolve) => server?.close(resolve));
    await pool?.end();
    await cluster?.destroy();
  });

  const read = async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return (await res.json()) as RegistryBody;
  };
  const counts = async () => (await read()).telemetry.transactions;
  const delta = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));

  /** Go off call only if someone else stays on call: write skew, which SERIALIZABLE refuses with 40001. */
  const goOffCall = (name: string, bothHaveRead: () => Promise<void>) => async (tx: TransactionClient) => {
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM doctors WHERE on_call');
    await bothHaveRead();
    if ((rows[0]?.n ?? 0) >= 2) await tx.query('UPDATE doctors SET on_call = false WHERE name = $1', [name]);
  };

  it('before any pool or configure(): memory only, no app, no pool, no delay window yet, counters at zero', async () => {
    const body = await read();
    expect(body.pid).toBe(process.pid);
    expect(body.transactions).toEqual([]);
    expect(body).not.toHaveProperty('app');
    expect(body.telemetry.heapUsedBytes).toBeGreaterThan(0);
    expect(body.telemetry.rssBytes).toBeGreaterThan(body.telemetry.heapUsedBytes);
    expect(body.telemetry).not.toHaveProperty('pool');
    // This first read starts the sampling; there is no window to report yet.
    expect(body.telemetry).not.toHaveProperty('eventLoopDelayP99Ms');
    expect(body.telemetry.transactions).toEqual({ committed: 0, 'rolled-back': 0, retried: 0, failed: 0 });
  });

  it('names the app given to configure(), and only then', async () => {
    configure({ app: 'orders-api' });
    expect((await read()).app).toBe('orders-api');
    configure({ app: undefined });
    expect(await read()).not.toHaveProperty('app');
  });

  it('healthy: only commits, so only "committed" moves', async () => {
    const before = await counts();
    for (let i = 0; i < 3; i++) await withTransaction(pool, (tx) => tx.query('SELECT 1'));
    expect(delta(before, await counts())).toEqual({ committed: 3, 'rolled-back': 0, retried: 0, failed: 0 });
  });

  it('a thrown error is one rollback and one failure', async () => {
    const before = await counts();
    const boom = new Error('boom');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("UPDATE doctors SET on_call = false WHERE name = 'alice'");
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(delta(before, await counts())).toEqual({ committed: 0, 'rolled-back': 1, retried: 0, failed: 1 });
    const { rows } = await cluster.sql('SELECT count(*)::int AS n FROM doctors WHERE on_call');
    expect(rows[0]?.n).toBe(2); // it really was rolled back
  });

  it('a real 40001 retried to success: each retry is a rolled-back attempt, both transactions commit', async () => {
    const before = await counts();
    const retries: RetryInfo[] = [];
    const bothHaveRead = barrier(2);
    const options = { isolationLevel: 'serializable' as const, onRetry: (info: RetryInfo) => retries.push(info) };
    await Promise.all([withTransaction(pool, goOffCall('alice', bothHaveRead), options), withTransaction(pool, goOffCall('bob', bothHaveRead), options)]);
    // Usually one retry; a retry that starts before the other commits can collide once more.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]?.code).toBe('40001');
    expect(delta(before, await counts())).toEqual({ committed: 2, 'rolled-back': retries.length, retried: retries.length, failed: 0 });
  });

  it('the same 40001 with retry off is one commit, one rollback, one failure', async () => {
    const before = await counts();
    const bothHaveRead = barrier(2);
    const options = { isolationLevel: 'serializable' as const, retry: false as const };
    const outcomes = await Promise.allSettled([
      withTransaction(pool, goOffCall('alice', bothHaveRead), options),
      withTransaction(pool, goOffCall('bob', bothHaveRead), options),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['40001']);
    expect(delta(before, await counts())).toEqual({ committed: 1, 'rolled-back': 1, retried: 0, failed: 1 });
  });

  it('pool: a checked-out client counts in total and not in idle; a caller past max shows as waiting', async () => {
    const held = await checkout<pg.PoolClient>(pool);
    const hold = gate();
    let inside = 0;
    const transactions: Promise<void>[] = [];
    try {
      let body = await read();
      expect(body.telemetry.pool).toEqual({ total: pool.totalCount, idle: pool.idleCount, waiting: 0 });
      expect(body.telemetry.pool!.total - body.telemetry.pool!.idle).toBe(1);

      // max is 2: the first transaction takes the other client, the second has to queue.
      const hold2 = () =>
        withTransaction(pool, async () => {
          inside++;
          await hold.wait;
        });
      transactions.push(hold2());
      await until(() => inside === 1, 'the first transaction');
      transactions.push(hold2());
      await until(() => pool.waitingCount === 1, 'the second caller to queue');
      body = await read();
      expect(body.telemetry.pool).toEqual({ total: 2, idle: 0, waiting: 1 });
      expect(body.transactions.map((t) => t.kind).sort()).toEqual(['client', 'transaction']);
    } finally {
      held.release();
      hold.open();
      await Promise.all(transactions);
    }
    expect(inside).toBe(2);
    expect((await read()).telemetry.pool).toMatchObject({ total: 2, waiting: 0 });
  });

  it('event-loop delay: a 200 ms stall between two reads shows in the second read; a HEAD in between does not end the window', async () => {
    await read(); // starts a fresh window
    const end = Date.now() + 200;
    while (Date.now() < end) {
      // a deliberate stall: nothing else runs in this process meanwhile
    }
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const stalled = (await read()).telemetry.eventLoopDelayP99Ms;
    expect(typeof stalled).toBe('number');
    expect(stalled).toBeGreaterThanOrEqual(100);
  });

  it('a pool the app drops is not kept alive by the registry', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let collected = false;
    const finalizer = new FinalizationRegistry(() => (collected = true));
    // In its own function, so no variable of this test keeps the pool.
    const useAndDrop = async () => {
      const dropped = makePool(cluster, { max: 1 });
      finalizer.register(dropped, 'dropped');
      await withTransaction(dropped, (tx) => tx.query('SELECT 1'));
      await read(); // the registry has seen it and summed it
      await dropped.end();
    };
    await useAndDrop();
    await until(
      async () => {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        return collected;
      },
      'the dropped pool to be collected',
    );
    // What remains is the file's own pool.
    expect((await read()).telemetry.pool).toEqual({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  });
});
