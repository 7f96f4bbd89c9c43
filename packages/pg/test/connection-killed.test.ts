import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLostError, openTransactions, withTransaction, type TransactionClient } from '../src/index.js';
import { countingPool, gate, makePool, until } from './helpers/pools.js';

describe('a connection killed mid-transaction (pg_terminate_backend)', () => {
  let cluster: Cluster;
  let raw: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-killed' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    raw = makePool(cluster, { max: 2 });
  });
  afterAll(async () => {
    await raw?.end();
    await cluster?.destroy();
  });

  const alive = async (pid: number) => (await cluster.sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.n === 1;

  it('while idle in transaction: no crash, ConnectionLostError with the origin and 57P01, the client is destroyed once, nothing committed', async () => {
    const { pool, releases } = countingPool(raw);
    const hold = gate();
    let pid = 0;
    let client: TransactionClient | undefined;
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      pid = tx.backendPid ?? 0;
      client = tx;
      await hold.wait;
      await tx.query('INSERT INTO t VALUES (2)');
    }).catch((e: unknown) => e);
    await until(() => pid, 'the transaction to start');
    const state = await cluster.sql('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    expect(state.rows[0]?.state).toBe('idle in transaction');
    expect((await cluster.sql('SELECT pg_terminate_backend($1) AS ok', [pid])).rows[0]?.ok).toBe(true);
    await until(async () => !(await alive(pid)), 'the backend to exit');
    await until(() => client?.ended, 'the client to see its connection end');
    hold.open();
    const error = (await outcome) as ConnectionLostError;
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', sqlstate: '57P01', backendPid: pid, cause: { code: '57P01' } });
    expect(error.origin).toMatch(/^packages\/pg\/test\/connection-killed\.test\.ts:\d+$/);
    expect(error.message).toContain(`the connection of the transaction opened at ${error.origin} (backend pid ${pid}) was lost while idle`);
    expect(error.message).toContain('terminating connection due to administrator command (SQLSTATE 57P01)');
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy(); // destroyed, not returned to the pool
    expect(openTransactions()).toEqual([]);
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });

  it('while a statement runs: the statement fails with 57P01 and the client is destroyed', async () => {
    const { pool, releases } = countingPool(raw);
    let pid = 0;
    const outcome = withTransaction(pool, async (tx) => {
      pid = tx.backendPid ?? 0;
      await tx.query('SELECT pg_sleep(30)');
    }).catch((e: unknown) => e);
    await until(async () => pid && (await cluster.sql("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid])).rowCount, 'the sleep');
    await cluster.sql('SELECT pg_terminate_backend($1)', [pid]);
    expect(await outcome).toMatchObject({ code: '57P01' });
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
  });

  it('lost while idle and the callback returns without another query: the same error, not a COMMIT on a dead client', async () => {
    const { pool, releases } = countingPool(raw);
    const hold = gate();
    let pid = 0;
    let client: TransactionClient | undefined;
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO t VALUES (3)');
      pid = tx.backendPid ?? 0;
      client = tx;
      await hold.wait;
    }).catch((e: unknown) => e);
    await until(() => pid, 'the transaction to start');
    await cluster.sql('SELECT pg_terminate_backend($1)', [pid]);
    // The client has read the server's FATAL: the library knows before anything is sent.
    await until(() => client?.ended, 'the client to see its connection end');
    hold.open();
    expect(await outcome).toMatchObject({ code: 'CONNECTION_LOST', sqlstate: '57P01' });
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });

  it('the pool keeps working afterwards', async () => {
    const rows = await withTransaction(raw, async (tx) => (await tx.query('SELECT 42 AS n')).rows);
    expect(rows).toEqual([{ n: 42 }]);
    expect(raw.totalCount).toBeLessThanOrEqual(2);
  });
});
