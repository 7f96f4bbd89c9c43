import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/index.js';
import { barrier, countingPool, makePool } from './helpers/pools.js';

describe('the client is released exactly once, on every path', () => {
  let cluster: Cluster;
  let raw: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-release' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    raw = makePool(cluster, { max: 4 });
  });
  afterAll(async () => {
    await raw?.end();
    await cluster?.destroy();
  });

  it('commit, throw, statement error: one release each, back to the pool', async () => {
    const { pool, releases } = countingPool(raw);
    await withTransaction(pool, (tx) => tx.query('SELECT 1'));
    await withTransaction(pool, () => Promise.reject(new Error('x'))).catch(() => {});
    await withTransaction(pool, (tx) => tx.query('SELECT 1/0')).catch(() => {});
    expect(releases).toEqual({ checkouts: 3, calls: [undefined, undefined, undefined] });
  });

  it('a BEGIN the server rejects (bad SET LOCAL value): rolled back, released once, the session is clean', async () => {
    const { pool, releases } = countingPool(raw);
    const error = await withTransaction(pool, () => 'never runs', { idleInTransactionSessionTimeout: 3_000_000_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22023' });
    expect(releases.calls).toEqual([undefined]);
    const { rows } = await raw.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'");
    expect(rows[0]?.n).toBe(0);
  });

  it('a retried transaction releases each attempt’s client once', async () => {
    await cluster.sql('INSERT INTO t VALUES (1), (2) ON CONFLICT DO NOTHING');
    const { pool, releases } = countingPool(raw);
    const bothLocked = barrier(2);
    const cross = (a: number, b: number) =>
      withTransaction(pool, async (tx) => {
        await tx.query('SELECT * FROM t WHERE id = $1 FOR UPDATE', [a]);
        await bothLocked();
        await tx.query('SELECT * FROM t WHERE id = $1 FOR UPDATE', [b]);
      });
    await Promise.all([cross(1, 2), cross(2, 1)]);
    expect(releases.checkouts).toBe(3);
    expect(releases.calls).toEqual([undefined, undefined, undefined]);
  });

  it('many concurrent transactions with mixed outcomes: releases equal checkouts, every client idle afterwards', async () => {
    const { pool, releases } = countingPool(raw);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        withTransaction(pool, async (tx) => {
          await tx.query('SELECT pg_sleep(0.001)');
          if (i % 3 === 0) throw new Error(`fail ${i}`);
          if (i % 3 === 1) await tx.query('SELECT 1/0');
          return i;
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(13);
    expect(releases.checkouts).toBe(40);
    expect(releases.calls).toHaveLength(40);
    expect(releases.calls.every((c) => c === undefined)).toBe(true);
    expect(raw.idleCount).toBe(raw.totalCount);
  });
});
