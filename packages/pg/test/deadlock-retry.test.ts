import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction, type RetryInfo, type TransactionClient } from '../src/index.js';
import { barrier, makePool } from './helpers/pools.js';

describe('a real deadlock (opposite lock order) is retried to success', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-deadlock' }); // deadlock_timeout 200ms
    await cluster.sql('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); INSERT INTO accounts VALUES (1, 100), (2, 100)');
    pool = makePool(cluster, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  function transfer(from: number, to: number, bothLockedOne: () => Promise<void>, runs: number[]) {
    return async (tx: TransactionClient) => {
      runs.push(from);
      await tx.query('UPDATE accounts SET balance = balance - 10 WHERE id = $1', [from]);
      await bothLockedOne();
      await tx.query('UPDATE accounts SET balance = balance + 10 WHERE id = $1', [to]);
    };
  }

  it('the victim gets 40P01, runs again after the other commits, and both transfers land', async () => {
    const retries: RetryInfo[] = [];
    const runs: number[] = [];
    const bothLockedOne = barrier(2);
    const onRetry = (info: RetryInfo) => retries.push(info);
    await Promise.all([
      withTransaction(pool, transfer(1, 2, bothLockedOne, runs), { onRetry }),
      withTransaction(pool, transfer(2, 1, bothLockedOne, runs), { onRetry }),
    ]);
    // Usually one retry; the retried victim can win the row back before the woken survivor re-locks it and
    // deadlock once more, so more than one is real too. What matters: every retry was a 40P01, both land.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    retries.forEach((r) => expect(r).toMatchObject({ code: '40P01' }));
    expect(retries[0]).toMatchObject({ attempt: 1 });
    expect(runs).toHaveLength(2 + retries.length);
    const { rows } = await cluster.sql('SELECT id, balance FROM accounts ORDER BY id');
    expect(rows).toEqual([
      { id: 1, balance: 100 },
      { id: 2, balance: 100 },
    ]);
    expect(cluster.readLog()).toMatch(/ERROR: {2}deadlock detected/);
  });

  it('contrast: with retry off the deadlock reaches the caller as 40P01', async () => {
    const bothLockedOne = barrier(2);
    const outcomes = await Promise.allSettled([
      withTransaction(pool, transfer(1, 2, bothLockedOne, []), { retry: false }),
      withTransaction(pool, transfer(2, 1, bothLockedOne, []), { retry: false }),
    ]);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: '40P01' });
  });
});
