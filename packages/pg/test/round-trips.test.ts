import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, resetConfiguration, withContext, withTransaction, type TransactionClient } from '../src/index.js';
import { makePool, until } from './helpers/pools.js';

// A round trip is one Query message (simple protocol) or one Sync (extended): the server answers each with exactly
// one ReadyForQuery. They are counted on the client's connection, and cross-checked with what the server itself
// logged (log_statement = all: one line per Query or Execute, so a statement hidden in another's round trip shows).
// Raw node-postgres sending the same transaction is the yardstick: the library may add bytes, never a round trip.

const UPDATE = 'UPDATE counters SET n = n + 1 WHERE id = $1';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('round trips: withTransaction sends as many as raw node-postgres', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  let readyForQuery = 0;
  let pid = 0;

  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-round-trips', log: { statement: 'all' } });
    await cluster.sql('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters VALUES (1, 0)');
    // One connection, opened before counting starts: its start-up exchange is not a transaction's.
    pool = makePool(cluster, { max: 1 });
    pool.on('connect', (client) => {
      (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => readyForQuery++);
    });
    const client = await pool.connect();
    pid = (client as unknown as { processID: number }).processID;
    client.release();
    resetConfiguration();
    configure({ app: 'trips' });
  });
  afterAll(async () => {
    resetConfiguration();
    await pool?.end();
    await cluster?.destroy();
  });

  /** This session's statements in the server log: one line per simple Query, one per extended-protocol Execute. */
  const logged = () => cluster.readLog().split('\n').filter((line) => line.includes(`[${pid}]`) && /LOG: {2}(statement|execute [^:]*):/.test(line)).length;

  /** Round trips and logged statements of `work`, once the server has logged them all. */
  async function count(work: () => Promise<unknown>, expectedStatements: number): Promise<{ trips: number; statements: number }> {
    const trips = readyForQuery;
    const statements = logged();
    await work().catch(() => {});
    const result = { trips: readyForQuery - trips, statements: 0 };
    // The log is written as the server goes: wait for what is due, then make sure nothing more arrives.
    await until(() => logged() - statements >= expectedStatements, `${expectedStatements} statements in the server log`).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    result.statements = logged() - statements;
    return result;
  }

  async function raw(statements: string[]): Promise<void> {
    const client = await pool.connect();
    try {
      for (const sql of statements) await client.query(sql, sql === UPDATE ? [1] : undefined);
    } finally {
      client.release();
    }
  }

  const work = async (tx: TransactionClient) => {
    await tx.query('SELECT 1');
    await tx.query(UPDATE, [1]);
  };

  it('defaults (tags, stack capture, pool-deadlock tracking): 4 round trips, as raw', async () => {
    const yardstick = await count(() => raw(['BEGIN', 'SELECT 1', UPDATE, 'COMMIT']), 4);
    expect(yardstick).toEqual({ trips: 4, statements: 4 });
    // The first transaction of a call site and a later one alike: nothing about the call site is sent or asked.
    for (let i = 0; i < 3; i++) expect(await count(() => withTransaction(pool, work), 4)).toEqual(yardstick);
  });

  it('every BEGIN option and a work context with a traceparent: still 4', async () => {
    const yardstick = await count(() => raw(['BEGIN ISOLATION LEVEL SERIALIZABLE', 'SELECT 1', UPDATE, 'COMMIT']), 4);
    const options = { isolationLevel: 'serializable', readOnly: false, statementTimeout: 5_000, lockTimeout: 1_000, idleInTransactionSessionTimeout: 10_000 } as const;
    const counted = await count(() => withContext({ route: 'POST /counters', traceparent: TRACEPARENT }, () => withTransaction(pool, work, options)), 4);
    expect(counted).toEqual(yardstick);
  });

  it('a callback that throws: BEGIN, its statements and ROLLBACK, as raw', async () => {
    const yardstick = await count(() => raw(['BEGIN', 'SELECT 1', 'ROLLBACK']), 3);
    expect(yardstick).toEqual({ trips: 3, statements: 3 });
    const failing = (tx: TransactionClient) => tx.query('SELECT 1').then(() => Promise.reject(new Error('rolled back on purpose')));
    expect(await count(() => withTransaction(pool, failing), 3)).toEqual(yardstick);
  });

  it('a savepoint: SAVEPOINT and RELEASE, as raw', async () => {
    const yardstick = await count(() => raw(['BEGIN', 'SAVEPOINT s', UPDATE, 'RELEASE SAVEPOINT s', 'COMMIT']), 5);
    const nested = (tx: TransactionClient) => withTransaction(tx, (sp) => sp.query(UPDATE, [1]));
    expect(await count(() => withTransaction(pool, nested), 5)).toEqual(yardstick);
  });
});
