import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockRows, withTransaction, type TransactionClient } from '../src/index.js';
import { barrier, makePool } from './helpers/pools.js';

describe('lockRows: one statement, one deterministic order, no deadlock', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  const table = 'acc"ounts'; // a name that only survives correct quoting
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-lock-rows' });
    await cluster.sql('CREATE TABLE "acc""ounts" ("Key" int PRIMARY KEY, balance int NOT NULL)');
    await cluster.sql('INSERT INTO "acc""ounts" SELECT g, 100 FROM generate_series(1, 5) g');
    pool = makePool(cluster, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  it('returns the rows in key order, whatever the order (and duplicates) of the ids', async () => {
    const rows = await withTransaction(pool, (tx) => lockRows<{ Key: number }>(tx, ['public', table], [3, 1, 3, 2], { key: 'Key', columns: ['Key'] }));
    expect(rows).toEqual([{ Key: 1 }, { Key: 2 }, { Key: 3 }]);
    expect(await withTransaction(pool, (tx) => lockRows(tx, table, [], { key: 'Key' }))).toEqual([]);
  });

  it('two transactions locking the same rows in opposite orders queue instead of deadlocking', async () => {
    const bothReady = barrier(2);
    const transfer = (ids: number[]) => async (tx: TransactionClient) => {
      await bothReady();
      await lockRows(tx, table, ids, { key: 'Key' });
      await tx.query('SELECT pg_sleep(0.1)'); // hold the locks while the other one arrives
      await tx.query('UPDATE "acc""ounts" SET balance = balance + 1 WHERE "Key" = ANY($1)', [ids]);
    };
    await Promise.all([withTransaction(pool, transfer([1, 2]), { retry: false }), withTransaction(pool, transfer([2, 1]), { retry: false })]);
    const { rows } = await cluster.sql('SELECT "Key", balance FROM "acc""ounts" WHERE "Key" IN (1, 2) ORDER BY 1');
    expect(rows.map((r) => r.balance)).toEqual([102, 102]);
  });

  it('contrast: locking one row at a time in the caller’s order deadlocks (40P01)', async () => {
    const bothHoldOne = barrier(2);
    const naive = (ids: number[]) => async (tx: TransactionClient) => {
      await tx.query('SELECT 1 FROM "acc""ounts" WHERE "Key" = $1 FOR UPDATE', [ids[0]]);
      await bothHoldOne();
      await tx.query('SELECT 1 FROM "acc""ounts" WHERE "Key" = $1 FOR UPDATE', [ids[1]]);
    };
    const outcomes = await Promise.allSettled([
      withTransaction(pool, naive([3, 4]), { retry: false }),
      withTransaction(pool, naive([4, 3]), { retry: false }),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['40P01']);
  });
});
