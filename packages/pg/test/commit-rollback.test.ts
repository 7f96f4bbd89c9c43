import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionRolledBackError, withTransaction } from '../src/index.js';
import { makePool } from './helpers/pools.js';

describe('withTransaction commits on success and rolls back on a throw', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-commit' });
    await cluster.sql('CREATE TABLE items (id int PRIMARY KEY, note text)');
    pool = makePool(cluster);
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const count = async (id: number) => (await cluster.sql('SELECT count(*)::int AS n FROM items WHERE id = $1', [id])).rows[0]?.n;

  it('commits when the callback resolves and returns its value', async () => {
    const value = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO items VALUES ($1, $2)', [1, 'kept']);
      return 'done';
    });
    expect(value).toBe('done');
    expect(await count(1)).toBe(1);
  });

  it('rolls back and rethrows the very same error when the callback throws', async () => {
    const boom = new Error('boom');
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO items VALUES ($1, $2)', [2, 'lost']);
      throw boom;
    });
    await expect(outcome).rejects.toBe(boom);
    expect(await count(2)).toBe(0);
    expect(boom).not.toHaveProperty('rollbackError');
  });

  it('rolls back on a statement error and keeps its SQLSTATE', async () => {
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO items VALUES ($1, $2)', [3, 'lost']);
      await tx.query('INSERT INTO items VALUES ($1, $2)', [3, 'duplicate']);
    });
    await expect(outcome).rejects.toMatchObject({ code: '23505' });
    expect(await count(3)).toBe(0);
  });

  it('a synchronous throw in the callback is handled the same way', async () => {
    await expect(
      withTransaction(pool, () => {
        throw new TypeError('sync');
      }),
    ).rejects.toThrow('sync');
    expect(pool.idleCount).toBe(pool.totalCount); // the client went back
  });

  it('a statement error caught inside the callback does not commit: COMMIT answers ROLLBACK and that is an error', async () => {
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO items VALUES ($1, $2)', [4, 'lost']);
      await tx.query('SELECT 1/0').catch(() => 'swallowed');
    });
    const error = await outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRolledBackError);
    expect((error as Error).cause).toMatchObject({ code: '22012' });
    expect(await count(4)).toBe(0);
  });

  it('leaves no transaction open on the server and returns every client', async () => {
    const { rows } = await cluster.sql(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'app@%' OR state LIKE 'idle in transaction%'",
    );
    expect(rows[0]?.n).toBe(0);
    expect(pool.idleCount).toBe(pool.totalCount);
  });
});
