import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface LongTransactionOptions {
  database?: string;
  /** application_name of the session running the statement, as an app would set it. */
  applicationName?: string;
  /**
   * "snapshot": a plain statement, whose snapshot sets backend_xmin while it runs; "xid": the statement runs
   * inside a transaction that has also written (backend_xid set too), so it pins by its XID as well.
   */
  pin?: 'snapshot' | 'xid';
  /** How long the statement would run if nobody stopped it. Default one hour. */
  seconds?: number;
  /** Rows deleted by another session after the statement started: dead tuples VACUUM cannot remove. */
  deadRows?: number;
}

export interface LongTransactionFault extends Fault {
  database: string;
  /** Backend pid of the session running the statement. */
  pid: number;
  /** backend_xmin of that session: the snapshot the statement runs with. */
  xmin: string;
  /** backend_xid with pin "xid", else null. */
  xid: string | null;
  /** The statement text, as pg_stat_activity.query shows it. */
  query: string;
  /** Quoted, schema-qualified table with the dead tuples. */
  table: string;
  deadRows: number;
}

/**
 * A statement that keeps running (an hour-long `pg_sleep` over a table, standing in for a runaway report
 * query). Its snapshot holds the xmin horizon while another session deletes rows, so VACUUM reports them
 * "dead but not yet removable" even though no transaction sits idle.
 */
export async function longTransaction(cluster: Cluster, options: LongTransactionOptions = {}): Promise<LongTransactionFault> {
  const database = options.database ?? 'postgres';
  const deadRows = options.deadRows ?? 1000;
  const seconds = options.seconds ?? 3600;
  const pin = options.pin ?? 'snapshot';
  const table = `public.${uniqueName('lab_long')}`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text); ALTER TABLE ${table} SET (autovacuum_enabled = off)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1) g`, [deadRows * 2], database);

  const session = await cluster.connect(database, options.applicationName ?? 'lab-long-transaction');
  const { rows: pidRows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = pidRows[0]!.pid;
  if (pin === 'xid') {
    await session.query('BEGIN');
    await session.query('SELECT txid_current()');
  }
  // The report query: reads the table, then sleeps; its snapshot lives as long as the statement.
  const query = `SELECT count(*) FROM ${table}, pg_sleep(${Number(seconds)})`;
  const running = session.query(query).then(
    () => undefined,
    () => undefined, // cancelled or terminated: the expected end of this statement
  );

  const activity = await waitFor(async () => {
    const { rows } = await cluster.sql<{ xmin: string | null; xid: string | null }>(
      `SELECT backend_xmin::text AS xmin, backend_xid::text AS xid FROM pg_stat_activity
        WHERE pid = $1 AND state = 'active' AND query = $2 AND backend_xmin IS NOT NULL`,
      [pid, query],
    );
    return rows[0];
  }, `the long-running statement of pid ${pid} to take its snapshot`);
  await cluster.sql(`DELETE FROM ${table} WHERE id <= $1`, [deadRows], database);

  return {
    database,
    pid,
    xmin: activity.xmin!,
    xid: activity.xid,
    query,
    table,
    deadRows,
    release: once(async () => {
      await cluster.sql('SELECT pg_cancel_backend($1)', [pid]);
      await running;
      await endQuietly(session); // also rolls back the open transaction of pin "xid"
      await waitFor(async () => {
        const { rows } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        return rows.length === 0;
      }, `session ${pid} to end`);
      await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
    }),
  };
}
