import type { Cluster } from '../cluster.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface IdleInTransactionOptions {
  database?: string;
  /**
   * "xid": the session wrote (backend_xid set); "snapshot": it only read in REPEATABLE READ (backend_xmin);
   * "none": it ran a statement in READ COMMITTED and holds neither, so it does not pin the horizon.
   */
  pin?: 'xid' | 'snapshot' | 'none';
  /** application_name of the idle session, as an app would set it. */
  applicationName?: string;
  /** Rows deleted by another session after the idle one started: dead tuples VACUUM cannot remove. */
  deadRows?: number;
  /**
   * With pin "none": the idle session read the table first (a leaked read-only transaction), so it holds an
   * AccessShareLock on it until it ends, which the next ALTER TABLE, TRUNCATE or VACUUM FULL would wait for.
   */
  holdLock?: boolean;
}

export interface IdleInTransactionFault extends Fault {
  database: string;
  /** Backend pid of the idle-in-transaction session. */
  pid: number;
  /** The XID it holds (pin "xid") or the xmin of its snapshot (pin "snapshot"); null with pin "none". */
  xmin: string | null;
  /** Quoted, schema-qualified table with the dead tuples. */
  table: string;
  deadRows: number;
}

/**
 * An idle-in-transaction session holding the xmin horizon, while another session deletes rows, so VACUUM
 * reports them as "dead but not yet removable" — the first cause of blocked freezing in the incident.
 */
export async function idleInTransaction(cluster: Cluster, options: IdleInTransactionOptions = {}): Promise<IdleInTransactionFault> {
  const database = options.database ?? 'postgres';
  const deadRows = options.deadRows ?? 1000;
  const table = `public.${uniqueName('lab_idle')}`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text); ALTER TABLE ${table} SET (autovacuum_enabled = off)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1) g`, [deadRows * 2], database);

  const idle = await cluster.connect(database, options.applicationName ?? 'lab-idle-in-transaction');
  let xmin: string | null = null;
  const pin = options.pin ?? 'xid';
  if (pin === 'none') {
    await idle.query('BEGIN');
    await idle.query(options.holdLock ? `SELECT count(*) FROM ${table}` : 'SELECT 1');
  } else if (pin === 'xid') {
    await idle.query('BEGIN');
    const { rows } = await idle.query<{ xid: string }>('SELECT txid_current()::text AS xid');
    xmin = rows[0]!.xid;
  } else {
    await idle.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await idle.query(`SELECT count(*) FROM ${table}`);
    const { rows } = await idle.query<{ xmin: string }>(`SELECT backend_xmin::text AS xmin FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
    xmin = rows[0]!.xmin;
  }
  const { rows: pidRows } = await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await cluster.sql(`DELETE FROM ${table} WHERE id <= $1`, [deadRows], database);

  return {
    database,
    pid: pidRows[0]!.pid,
    xmin,
    table,
    deadRows,
    release: once(async () => {
      try {
        await idle.query('ROLLBACK');
      } catch {
        // terminated by a test or by the doctor: the transaction is gone either way
      }
      await endQuietly(idle);
      await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
    }),
  };
}
