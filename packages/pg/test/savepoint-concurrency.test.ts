import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransactionBusyError, withTransaction } from '../src/index.js';
import { gate, makePool } from './helpers/pools.js';

describe('savepoints asked of one transaction at once', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-savepoint-concurrency' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 1 });
  });
  beforeEach(async () => {
    await cluster.sql('TRUNCATE t');
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const ids = async () => (await cluster.sql<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

  it('Promise.all of two savepoints: run one after the other, each rolls back only its own work', async () => {
    const order: string[] = [];
    const outcome = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      return Promise.allSettled([
        withTransaction(tx, async (sp) => {
          order.push('a starts');
          await sp.query('INSERT INTO t VALUES (2)');
          await new Promise((resolve) => setTimeout(resolve, 30));
          await sp.query('INSERT INTO t VALUES (1)'); // duplicate: this savepoint rolls back
          order.push('a ends');
        }),
        withTransaction(tx, async (sp) => {
          order.push('b starts');
          await sp.query('INSERT INTO t VALUES (3)');
          order.push('b ends');
        }),
      ]);
    });
    expect(order).toEqual(['a starts', 'b starts', 'b ends']);
    expect(outcome[0]).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
    expect(outcome[1]).toMatchObject({ status: 'fulfilled' });
    expect(await ids()).toEqual([1, 3]);
  });

  it('contrast: the same two savepoints sent by hand interleave, and the failing one takes the other with it (3B001)', async () => {
    const client = await pool.connect();
    const aStarted = gate();
    const bStarted = gate();
    const aDone = gate();
    try {
      await client.query('BEGIN');
      const results = await Promise.allSettled([
        (async () => {
          await client.query('SAVEPOINT sp_1');
          aStarted.open();
          await bStarted.wait;
          try {
            await client.query('INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)');
          } catch (error) {
            await client.query('ROLLBACK TO SAVEPOINT sp_1; RELEASE SAVEPOINT sp_1');
            throw error;
          } finally {
            aDone.open();
          }
        })(),
        (async () => {
          await aStarted.wait;
          await client.query('SAVEPOINT sp_2');
          bStarted.open();
          await aDone.wait;
          await client.query('RELEASE SAVEPOINT sp_2');
        })(),
      ]);
      expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: '3B001' } });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('the outer client refuses queries while a savepoint is open, and works again after', async () => {
    await withTransaction(pool, async (tx) => {
      const inside = gate();
      const held = gate();
      const savepoint = withTransaction(tx, async (sp) => {
        await sp.query('INSERT INTO t VALUES (5)');
        inside.open();
        await held.wait;
      });
      await inside.wait;
      const refused = await tx.query('INSERT INTO t VALUES (6)').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TransactionBusyError);
      expect((refused as Error).message).toMatch(/^query\(\) refused: a savepoint of the transaction opened at packages\/pg\/test\/savepoint-concurrency\.test\.ts:\d+ is open/);
      held.open();
      await savepoint;
      await tx.query('INSERT INTO t VALUES (7)');
    });
    expect(await ids()).toEqual([5, 7]);
  });

  it('a savepoint of the outer client asked from inside its own savepoint is refused, not left waiting for itself', async () => {
    await withTransaction(pool, async (tx) => {
      await withTransaction(tx, async () => {
        await expect(withTransaction(tx, () => 1)).rejects.toBeInstanceOf(TransactionBusyError);
      });
    });
  });

  it('a callback that returns with a savepoint still open is rolled back, savepoint work included', async () => {
    let late: Promise<unknown> | undefined;
    const release = gate();
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO t VALUES (8)');
        late = withTransaction(tx, async (sp) => {
          await sp.query('INSERT INTO t VALUES (9)');
          await release.wait;
          await sp.query('INSERT INTO t VALUES (10)');
        });
        late.catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 20)); // the savepoint has begun
      }),
    ).rejects.toBeInstanceOf(TransactionBusyError);
    release.open();
    await expect(late).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
    expect(await ids()).toEqual([]);
  });

  it('the same when the callback returns before the savepoint has even begun', async () => {
    let late: Promise<unknown> | undefined;
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO t VALUES (11)');
        late = withTransaction(tx, (sp) => sp.query('INSERT INTO t VALUES (12)'));
        late.catch(() => {});
      }),
    ).rejects.toBeInstanceOf(TransactionBusyError);
    await expect(late).rejects.toMatchObject({ code: 'TRANSACTION_ENDED' });
    expect(await ids()).toEqual([]);
  });
});
