import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, events, PoolStarvationError, startWatchdog, withTransaction } from '../src/index.js';
import { barrier, makePool } from './helpers/pools.js';

describe('pool starvation: every client held by work that itself waits for the pool', () => {
  let cluster: Cluster;
  const logged: string[] = [];
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-starvation' });
    configure({ logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) } });
  });
  afterAll(() => cluster?.destroy());

  /** Hold a client, wait until everyone holds one, then ask the same pool for another. */
  const nested = (pool: ReturnType<typeof makePool>, allHold: () => Promise<void>) =>
    withTransaction(pool, async () => {
      await allHold();
      return withTransaction(pool, async (inner) => (await inner.query('SELECT 1 AS ok')).rows[0]);
    });

  it('is detected when the cycle closes: the last request fails with PoolStarvationError naming the holders; the rest proceed', async () => {
    const pool = makePool(cluster, { max: 2 });
    const deadlocks: unknown[] = [];
    events.on('pool-deadlock', (d) => deadlocks.push(d));
    try {
      const allHold = barrier(2);
      const started = Date.now();
      const outcomes = await Promise.allSettled([nested(pool, allHold), nested(pool, allHold)]);
      expect(Date.now() - started).toBeLessThan(5_000); // not a silent hang
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failed).toHaveLength(1);
      const error = failed[0]?.reason as PoolStarvationError;
      expect(error).toBeInstanceOf(PoolStarvationError);
      expect(error.code).toBe('POOL_STARVATION');
      expect(error.holders).toHaveLength(2);
      for (const holder of error.holders) {
        expect(holder.origin).toMatch(/pool-starvation\.test\.ts:\d+$/);
        expect(holder.stack).toContain('pool-starvation.test.ts');
        expect(holder.backendPid).toBeGreaterThan(0);
      }
      expect(outcomes.find((o) => o.status === 'fulfilled')).toMatchObject({ value: { ok: 1 } });
      expect(deadlocks).toHaveLength(1);
      expect(logged.some((l) => l.startsWith('pool deadlock'))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pool.idleCount).toBe(pool.totalCount); // the refused request's late client went straight back
    } finally {
      await pool.end();
    }
  });

  it('no false alarm when the pool has room for the nested request', async () => {
    const pool = makePool(cluster, { max: 3 });
    try {
      const allHold = barrier(2);
      const outcomes = await Promise.all([nested(pool, allHold), nested(pool, allHold)]);
      expect(outcomes).toEqual([{ ok: 1 }, { ok: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('the timer-based detector reports a pool starved by waits it cannot see (pool.query inside a transaction)', async () => {
    const pool = makePool(cluster, { max: 1, connectionTimeoutMillis: 1_500 });
    const reports: { starvedMs: number; holders: { origin: string; stack: string }[] }[] = [];
    events.on('pool-starvation', (r) => reports.push(r));
    const stop = startWatchdog({ starvationAfterMs: 200, warnAfterMs: 60_000, intervalMs: 25 });
    try {
      const outcome = withTransaction(pool, async () => {
        await pool.query('SELECT 1'); // waits for the only client, which this transaction holds
      });
      await expect(outcome).rejects.toThrow(/timeout exceeded when trying to connect/);
      expect(reports).toHaveLength(1);
      expect(reports[0]?.starvedMs).toBeGreaterThanOrEqual(200);
      expect(reports[0]?.holders[0]?.origin).toMatch(/pool-starvation\.test\.ts:\d+$/);
      expect(logged.some((l) => l.startsWith('pool starvation: 1 caller(s) waited'))).toBe(true);
    } finally {
      stop();
      await pool.end();
    }
  });
});
