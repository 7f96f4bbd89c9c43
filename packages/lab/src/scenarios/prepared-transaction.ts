import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

/** Table lock modes LOCK TABLE accepts. */
export type TableLockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

export interface PreparedTransactionOptions {
  database?: string;
  /** Global transaction identifier; a unique one when absent. */
  gid?: string;
  /**
   * An explicit LOCK TABLE on the written table before PREPARE, e.g. "SHARE UPDATE EXCLUSIVE" so that
   * (auto)vacuum of that table waits forever. None by default: the writes' ROW EXCLUSIVE lock only.
   */
  lockMode?: TableLockMode;
  /** Rows the prepared transaction updates (and so keeps row-locked). Default 10. */
  lockedRows?: number;
  /** Rows deleted by another session after PREPARE, in a second table: dead tuples VACUUM cannot remove. */
  deadRows?: number;
}

/** One lock the prepared transaction holds, as pg_locks shows it. */
export interface PreparedLock {
  locktype: string;
  /** The locked relation (regclass text) for relation locks, else null. */
  relation: string | null;
  mode: string;
}

export interface PreparedTransactionFault extends Fault {
  gid: string;
  /** The database it was prepared in: only there can it be committed or rolled back. */
  database: string;
  /** The role that prepared it (pg_prepared_xacts.owner). */
  owner: string;
  /** Its transaction ID (pg_prepared_xacts.transaction). */
  xid: string;
  /** Pid of the session that prepared it; that session has ended. */
  preparedBy: number;
  /** Quoted, schema-qualified table the transaction wrote (and locked). */
  lockedTable: string;
  /** Quoted, schema-qualified table where rows were deleted after PREPARE. */
  table: string;
  deadRows: number;
  /** Every lock the prepared transaction holds. */
  locks: PreparedLock[];
}

/**
 * A transaction prepared for two-phase commit whose coordinator went away: the session that ran
 * PREPARE TRANSACTION has disconnected, so no backend shows it, yet it keeps its locks and its XID holds back
 * the xmin horizon of its database — the "in-doubt" transaction of the incident that blocked freezing.
 */
export async function preparedTransaction(
  cluster: Cluster,
  options: PreparedTransactionOptions = {},
): Promise<PreparedTransactionFault> {
  const database = options.database ?? 'postgres';
  const gid = options.gid ?? uniqueName('lab_in_doubt');
  const deadRows = options.deadRows ?? 1000;
  const lockedRows = options.lockedRows ?? 10;
  const lockedTable = `public.${uniqueName('lab_prepared_locked')}`;
  const table = `public.${uniqueName('lab_prepared_dead')}`;
  for (const name of [lockedTable, table]) {
    await cluster.sql(`CREATE TABLE ${name} (id int PRIMARY KEY, payload text); ALTER TABLE ${name} SET (autovacuum_enabled = off)`, [], database);
  }
  await cluster.sql(`INSERT INTO ${lockedTable} SELECT g, 'v0' FROM generate_series(1, $1) g`, [Math.max(lockedRows, 1)], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1) g`, [deadRows * 2], database);

  const session = await cluster.connect(database, 'lab-two-phase-coordinator');
  const { rows: pidRows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const preparedBy = pidRows[0]!.pid;
  try {
    await session.query('BEGIN');
    if (options.lockMode) await session.query(`LOCK TABLE ${lockedTable} IN ${options.lockMode} MODE`);
    await session.query(`UPDATE ${lockedTable} SET payload = 'v1' WHERE id <= $1`, [lockedRows]);
    await session.query(`PREPARE TRANSACTION ${quoteLiteral(gid)}`);
  } finally {
    // The coordinator crashes: its session goes, the prepared transaction stays.
    await endQuietly(session);
  }
  await waitFor(async () => {
    const { rows } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [preparedBy]);
    return rows.length === 0;
  }, `the preparing session ${preparedBy} to end`);

  const { rows: xacts } = await cluster.sql<{ xid: string; owner: string }>(
    'SELECT transaction::text AS xid, owner FROM pg_prepared_xacts WHERE gid = $1',
    [gid],
  );
  const { xid, owner } = xacts[0]!;
  const locks = await preparedLocks(cluster, xid, database);
  await cluster.sql(`DELETE FROM ${table} WHERE id <= $1`, [deadRows], database);

  return {
    gid,
    database,
    owner,
    xid,
    preparedBy,
    lockedTable,
    table,
    deadRows,
    locks,
    release: once(async () => {
      try {
        await cluster.sql(`ROLLBACK PREPARED ${quoteLiteral(gid)}`, [], database);
      } catch (error) {
        // 42704: already committed or rolled back (by a test or by the doctor's rescue).
        if ((error as { code?: string }).code !== '42704') throw error;
      }
      await cluster.sql(`DROP TABLE IF EXISTS ${lockedTable}, ${table}`, [], database);
    }),
  };
}

/**
 * The locks a prepared transaction holds. They belong to no backend (pid is null) and keep the virtual
 * transaction id of the session that prepared them ("-1/<xid>" only after a restart recovered them), so they
 * are found through the lock on the transaction's own XID.
 */
async function preparedLocks(cluster: Cluster, xid: string, database = 'postgres'): Promise<PreparedLock[]> {
  const { rows } = await cluster.sql<PreparedLock>(
    `SELECT l.locktype, CASE WHEN l.locktype = 'relation' THEN l.relation::regclass::text END AS relation, l.mode
       FROM pg_locks l
       JOIN pg_locks x ON x.locktype = 'transactionid' AND x.transactionid = $1::text::xid AND x.pid IS NULL
                      AND l.virtualtransaction = x.virtualtransaction
      WHERE l.pid IS NULL
      ORDER BY 1, 2, 3`,
    [xid],
    database,
  );
  return rows;
}
