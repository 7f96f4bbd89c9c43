import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, withTransaction } from '../src/index.js';
import { makePool } from './helpers/pools.js';

describe('nested withTransaction on a transaction client uses savepoints', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-savepoints' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const ids = async () => (await cluster.sql('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

  it('an inner failure rolls back only the inner work; the outer transaction commits the rest', async () => {
    await cluster.sql('TRUNCATE t');
    const innerError = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      const caught = await withTransaction(tx, async (sp) => {
        await sp.query('INSERT INTO t VALUES (2)');
        await sp.query('INSERT INTO t VALUES (1)'); // duplicate: aborts the savepoint only
      }).catch((e: unknown) => e);
      await tx.query('INSERT INTO t VALUES (3)'); // the transaction is usable again
      return caught;
    });
    expect(innerError).toMatchObject({ code: '23505' });
    expect(await ids()).toEqual([1, 3]);
  });

  it('inner success is kept; savepoints nest three deep on one connection', async () => {
    await cluster.sql('TRUNCATE t');
    const depths: number[] = [];
    const pids = new Set<number | undefined>();
    await withTransaction(pool, async (tx) => {
      await withTransaction(tx, async (a) => {
        depths.push(a.depth);
        pids.add(a.backendPid);
        await a.query('INSERT INTO t VALUES (10)');
        await withTransaction(a, async (b) => {
          depths.push(b.depth);
          pids.add(b.backendPid);
          await b.query('INSERT INTO t VALUES (11)');
          const level = await b.query<{ n: string }>("SELECT current_setting('transaction_isolation') AS n");
          expect(level.rows[0]?.n).toBe('read committed');
        });
      });
    });
    expect(depths).toEqual([1, 2]);
    expect(pids.size).toBe(1);
    expect(await ids()).toEqual([10, 11]);
  });

  it('an inner error that is rethrown rolls the whole transaction back', async () => {
    await cluster.sql('TRUNCATE t');
    const boom = new Error('inner boom');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO t VALUES (20)');
        await withTransaction(tx, () => Promise.reject(boom));
      }),
    ).rejects.toBe(boom);
    expect(await ids()).toEqual([]);
  });

  it('refuses BEGIN options on a savepoint (they belong to the outermost transaction)', async () => {
    await withTransaction(pool, async (tx) => {
      await expect(withTransaction(tx, () => 1, { isolationLevel: 'serializable' })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        option: 'isolationLevel',
        message: expect.stringContaining('is for the outermost withTransaction() only'),
      });
      await expect(withTransaction(tx, () => 1, { retry: false })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(tx.query('SELECT 1')).resolves.toBeTruthy();
    });
  });

  it('the outer rollback discards work a savepoint had released', async () => {
    await cluster.sql('TRUNCATE t');
    await expect(
      withTransaction(pool, async (tx) => {
        await withTransaction(tx, (sp) => sp.query('INSERT INTO t VALUES (30)'));
        throw new Error('outer fails later');
      }),
    ).rejects.toThrow('outer fails later');
    expect(await ids()).toEqual([]);
  });
});
