import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, withTransaction } from '../src/index.js';
import { countingPool, makePool } from './helpers/pools.js';

describe('BEGIN options: isolation, read only, deferrable, per-transaction timeouts', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-begin' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const setting = (tx: { query: (text: string) => Promise<{ rows: unknown[] }> }, name: string) =>
    tx.query(`SELECT current_setting('${name}') AS v`).then((r) => (r.rows[0] as { v: string }).v);

  it('sets the isolation level, read only and deferrable of this transaction only', async () => {
    const seen = await withTransaction(
      pool,
      async (tx) => [await setting(tx, 'transaction_isolation'), await setting(tx, 'transaction_read_only'), await setting(tx, 'transaction_deferrable')],
      { isolationLevel: 'serializable', readOnly: true, deferrable: true },
    );
    expect(seen).toEqual(['serializable', 'on', 'on']);
    const after = await withTransaction(pool, async (tx) => [await setting(tx, 'transaction_isolation'), await setting(tx, 'transaction_read_only')]);
    expect(after).toEqual(['read committed', 'off']);
  });

  it('a read-only transaction refuses writes (25006)', async () => {
    await expect(withTransaction(pool, (tx) => tx.query('INSERT INTO t VALUES (1)'), { readOnly: true })).rejects.toMatchObject({ code: '25006' });
  });

  it('statement_timeout applies to this transaction only (57014), then the session default is back', async () => {
    await expect(withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(2)'), { statementTimeout: 50 })).rejects.toMatchObject({ code: '57014' });
    const after = await withTransaction(pool, (tx) => setting(tx, 'statement_timeout'));
    expect(after).toBe('0');
  });

  it('sets lock_timeout and idle_in_transaction_session_timeout locally', async () => {
    const seen = await withTransaction(pool, async (tx) => [await setting(tx, 'lock_timeout'), await setting(tx, 'idle_in_transaction_session_timeout')], {
      lockTimeout: 250,
      idleInTransactionSessionTimeout: 60_000,
    });
    expect(seen).toEqual(['250ms', '1min']);
  });

  it('the server ends a session idle in the transaction longer than idleInTransactionSessionTimeout', async () => {
    const outcome = withTransaction(
      pool,
      async (tx) => {
        await tx.query('SELECT 1');
        await new Promise((resolve) => setTimeout(resolve, 400));
        await tx.query('SELECT 2');
      },
      { idleInTransactionSessionTimeout: 100 },
    );
    await expect(outcome).rejects.toThrow();
    // The pool still works: the dead client was destroyed, not returned.
    expect(await withTransaction(pool, (tx) => tx.query('SELECT 1 AS one').then((r) => r.rows[0]))).toEqual({ one: 1 });
  });

  it('refuses bad options with a rejected promise (never a synchronous throw), before taking a client', async () => {
    const { pool: counted, releases } = countingPool(pool);
    let outcome: Promise<unknown> | undefined;
    expect(() => {
      outcome = withTransaction(counted, () => 1, { isolationLevel: 'serializable; DROP TABLE t' as never });
    }).not.toThrow();
    await expect(outcome).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(withTransaction(counted, () => 1, { statementTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(releases.checkouts).toBe(0);
    expect(await withTransaction(counted, () => 'still fine')).toBe('still fine');
    expect(releases).toEqual({ checkouts: 1, calls: [undefined] });
  });
});
