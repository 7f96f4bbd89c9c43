import type pg from 'pg';
import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface DeadlocksOptions {
  database?: string;
  /**
   * A comment appended to the statement each side blocks in, as an app's tagging puts it there, e.g. sqlcommenter's
   * `/*app='shop',origin='src/pay.ts:12'*\/`: the deadlock report in the server log then names the code.
   */
  comments?: { a: string; b: string };
}

/** One side of the deadlock. */
export interface DeadlockSession {
  pid: number;
  /** The transaction's XID, as the deadlock report prints it ("waits for ShareLock on transaction X"). */
  xid: string;
  /** The statement it was blocked in: the text the server log shows as "Process <pid>: <query>". */
  query: string;
}

export interface DeadlocksFault extends Fault {
  database: string;
  /** Quoted, schema-qualified table with the two rows. */
  table: string;
  /** The session the deadlock detector aborted. */
  victim: DeadlockSession;
  /** The session whose UPDATE went through once the victim's transaction was aborted (it then committed). */
  survivor: DeadlockSession;
  /** What the victim's client received: SQLSTATE 40P01, "deadlock detected", and a detail without the queries. */
  error: { code: string; message: string; detail: string | undefined };
}

/**
 * Two sessions update two rows in opposite order: A locks row 1, B locks row 2, then A wants row 2 and B
 * row 1. After deadlock_timeout one of them finds the cycle and is aborted with 40P01; the other proceeds.
 */
export async function deadlocks(cluster: Cluster, options: DeadlocksOptions = {}): Promise<DeadlocksFault> {
  const database = options.database ?? 'postgres';
  const table = `public."${uniqueName('lab_deadlock')}"`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, balance int NOT NULL)`, [], database);
  await cluster.sql(`INSERT INTO ${table} VALUES (1, 100), (2, 100)`, [], database);

  const a = await cluster.connect(database, 'lab-deadlock-a');
  const b = await cluster.connect(database, 'lab-deadlock-b');
  const release = once(async () => {
    await Promise.all([a, b].map(endQuietly));
    await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
  });

  try {
    // Literal statements, no parameters: the log then shows them exactly as the test expects them.
    const update = (id: number, delta: number) => `UPDATE ${table} SET balance = balance + ${delta} WHERE id = ${id}`;
    const sideA = await begin(a, update(1, -10));
    const sideB = await begin(b, update(2, -20));
    const queryA = `${update(2, 10)}${options.comments ? ` ${options.comments.a}` : ''}`;
    const queryB = `${update(1, 20)}${options.comments ? ` ${options.comments.b}` : ''}`;
    const blockedA = settle(a.query(queryA));
    // B must close the cycle only once A really waits, so the cycle exists when a deadlock_timeout fires.
    await waitFor(async () => {
      const { rows } = await cluster.sql(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [sideA.pid], database);
      return rows.length === 1;
    }, 'session A to wait for the row lock held by B');
    const blockedB = settle(b.query(queryB));
    const [resultA, resultB] = await Promise.all([blockedA, blockedB]);

    const failed = [resultA, resultB].filter((r) => r.error);
    if (failed.length !== 1) {
      throw new Error(`expected exactly one deadlock victim, got ${failed.length}: ${failed.map((r) => String(r.error)).join('; ')}`);
    }
    const aLost = resultA.error !== undefined;
    const [victimClient, survivorClient] = aLost ? [a, b] : [b, a];
    const error = (aLost ? resultA.error : resultB.error) as pg.DatabaseError;
    await victimClient.query('ROLLBACK');
    await survivorClient.query('COMMIT');
    // PG 15+ keeps counters in backend memory until the next flush; make the victim's deadlock count visible now.
    if (cluster.major >= 15) await victimClient.query('SELECT pg_stat_force_next_flush()');

    return {
      database,
      table,
      victim: aLost ? { ...sideA, query: queryA } : { ...sideB, query: queryB },
      survivor: aLost ? { ...sideB, query: queryB } : { ...sideA, query: queryA },
      error: { code: error.code ?? '', message: error.message, detail: error.detail },
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** BEGIN, lock a row with `query`, and report the pid and the XID the transaction now has. */
async function begin(client: pg.Client, query: string): Promise<{ pid: number; xid: string }> {
  await client.query('BEGIN');
  await client.query(query);
  const { rows } = await client.query<{ pid: number; xid: string }>(
    'SELECT pid, backend_xid::text AS xid FROM pg_stat_activity WHERE pid = pg_backend_pid()',
  );
  return rows[0]!;
}

/** A query's outcome without throwing: the deadlock error is the expected result of one of the two. */
function settle(query: Promise<unknown>): Promise<{ error?: unknown }> {
  return query.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );
}
