import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionControlError, TransactionEndedError, withTransaction, type TransactionClient } from '../src/index.js';
import { makePool } from './helpers/pools.js';

describe('the transaction client refuses use after its transaction ended', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-after-end' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  it('after COMMIT: refused, and nothing reaches the connection (now someone else’s)', async () => {
    const leaked = await withTransaction(pool, (tx) => tx);
    expect(leaked.ended).toBe(true);
    await expect(leaked.query('INSERT INTO t VALUES (1)')).rejects.toBeInstanceOf(TransactionEndedError);
    await expect(leaked.query({ text: 'INSERT INTO t VALUES (1)' })).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });

  it('after ROLLBACK: refused', async () => {
    let leaked: TransactionClient | undefined;
    await withTransaction(pool, (tx) => {
      leaked = tx;
      throw new Error('rolled back');
    }).catch(() => {});
    await expect(leaked?.query('SELECT 1')).rejects.toBeInstanceOf(TransactionEndedError);
  });

  it('a statement issued after the callback returned (a stray timer) is refused, not run in a later transaction', async () => {
    let late: Promise<unknown> | undefined;
    await withTransaction(pool, (tx) => {
      setTimeout(() => {
        late = tx.query('INSERT INTO t VALUES (2)');
        late.catch(() => {});
      }, 20);
    });
    // The connection goes back to the pool and into the next transaction while the timer is pending.
    await withTransaction(pool, () => new Promise((resolve) => setTimeout(resolve, 50)));
    await expect(late).rejects.toBeInstanceOf(TransactionEndedError);
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t WHERE id = 2')).rows[0]?.n).toBe(0);
  });

  it('a savepoint client is refused after its savepoint ended, the outer one still works', async () => {
    await withTransaction(pool, async (tx) => {
      const inner = await withTransaction(tx, (sp) => sp);
      await expect(inner.query('SELECT 1')).rejects.toBeInstanceOf(TransactionEndedError);
      await expect(tx.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    });
  });

  it('refuses BEGIN / COMMIT / ROLLBACK / SAVEPOINT through the transaction client (the library owns the boundaries)', async () => {
    await withTransaction(pool, async (tx) => {
      for (const statement of ['COMMIT', '  rollback', 'BEGIN', 'start transaction', 'END', 'ABORT', "PREPARE TRANSACTION 'x'", 'SAVEPOINT mine', 'RELEASE mine']) {
        await expect(tx.query(statement)).rejects.toBeInstanceOf(TransactionControlError);
      }
      const { rows } = await tx.query<{ s: string }>("SELECT 'still in the transaction' AS s, now() = statement_timestamp() AS fresh");
      expect(rows[0]?.s).toBe('still in the transaction');
    });
  });
});
