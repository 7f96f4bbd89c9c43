import { collect } from '../collect/collect.js';
import { sqlFor, type Dataset } from '../collect/dataset.js';
import type { Skip, Snapshot } from '../collect/snapshot.js';
import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { forEachDatabase } from '../connect/each-database.js';
import { DEFAULT_LIMITS, openSession, type Session, type SessionLimits } from '../connect/safe-session.js';

/** One table or materialized view (its TOAST table folded in) whose XID or MultiXact age is over the target. */
export interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  kind: 'r' | 'm';
  /** A shared catalog (pg_database, pg_authid, …): one relation for the whole cluster, listed in every database. */
  shared: boolean;
  persistence: 'p' | 'u' | 't';
  xid_age: number;
  mxid_age: number;
  toast_xid_age: number;
  pages: number;
  toast_pages: number;
  /** relallfrozen of heap plus TOAST (PostgreSQL 18+), null before. */
  frozen_pages: number | null;
}

/** A granted relation lock that makes VACUUM wait (SHARE UPDATE EXCLUSIVE or stronger), held by someone else. */
export interface LockRow {
  oid: number;
  mode: string;
  /** null for a prepared transaction. */
  pid: number | null;
  gid: string | null;
  backend_type: string | null;
}

const AGES = `greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0))::int8 AS xid_age,
      greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0))::int8 AS mxid_age,
      coalesce(age(t.relfrozenxid), 0)::int8 AS toast_xid_age`;

/**
 * Pages come from the relation files (relpages is 0 for a table never vacuumed or analyzed), except for a
 * relation someone holds or waits for in ACCESS EXCLUSIVE mode: pg_relation_size would queue behind that.
 */
const RELATIONS_SQL = (frozen: string, sized: boolean) => `
  WITH xlocked AS (
    SELECT DISTINCT relation FROM pg_lock_status()
     WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
       AND database IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())))
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relisshared AS shared,
      c.relpersistence::text AS persistence, ${AGES},
      ${sized ? PAGES('c') : 'c.relpages::int8'} AS pages,
      ${sized ? `coalesce(${PAGES('t')}, 0)` : 'coalesce(t.relpages, 0)::int8'} AS toast_pages,
      ${frozen} AS frozen_pages
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
   WHERE c.relkind IN ('r', 'm')
     AND (greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0)) > $1
       OR greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0)) > $2)
   ORDER BY 7 DESC`;

const PAGES = (alias: string) =>
  `(CASE WHEN ${alias}.oid IN (SELECT relation FROM xlocked) THEN ${alias}.relpages::int8
         ELSE pg_relation_size(${alias}.oid) / current_setting('block_size')::int8 END)`;

const FROZEN_18 = '(c.relallfrozen + coalesce(t.relallfrozen, 0))::int8';

/** Relations over the target in one database; pages to scan: relation size minus relallfrozen on 18, the size before. */
export const relationsDataset: Dataset = {
  name: 'freezeRelations',
  scope: 'database',
  sql: { 120000: RELATIONS_SQL('NULL::int8', true), 180000: RELATIONS_SQL(FROZEN_18, true) },
};

/** The same from the catalog alone (relpages), for when reading file sizes had to wait for a lock. */
export const relationsFromCatalogDataset: Dataset = {
  name: 'freezeRelations',
  scope: 'database',
  sql: { 120000: RELATIONS_SQL('NULL::int8', false), 180000: RELATIONS_SQL(FROZEN_18, false) },
};

/**
 * Locks that would make a VACUUM wait, in every database at once (one look, on the entry session): granted SHARE
 * UPDATE EXCLUSIVE or stronger; `datname` is null for a shared catalog's. A prepared transaction's locks have no
 * pid; its gid is found through the lock on its own XID, which shares the virtual transaction. pg_locks,
 * pg_stat_activity and pg_prepared_xacts are read through their functions, as in run-monitor.ts: a new backend
 * plans them faster.
 */
export const locksDataset: Dataset = {
  name: 'freezeLocks',
  scope: 'cluster',
  sql: {
    120000: `SELECT l.relation::int8 AS oid, d.datname, l.mode, l.pid, p.gid, a.backend_type
      FROM pg_lock_status() l
      LEFT JOIN pg_database d ON d.oid = l.database
      LEFT JOIN LATERAL pg_stat_get_activity(l.pid) a ON a.pid = l.pid
      LEFT JOIN pg_lock_status() x ON l.pid IS NULL AND x.pid IS NULL AND x.locktype = 'transactionid' AND x.virtualtransaction = l.virtualtransaction
      LEFT JOIN pg_prepared_xact() p ON p.transaction = x.transactionid
     WHERE l.locktype = 'relation' AND l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()
       AND l.mode IN ('ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')`,
  },
};

/** A row of locksDataset. */
export interface ClusterLockRow extends LockRow {
  datname: string | null;
}

/** The cluster's locks by database: a shared catalog's lock holds a VACUUM of it in every database. */
export function locksByDatabase(rows: readonly ClusterLockRow[], databases: readonly string[]): Record<string, LockRow[]> {
  return Object.fromEntries(
    databases.map((database) => [database, rows.filter((l) => l.datname === null || l.datname === database).map(({ datname: _datname, ...lock }) => lock)]),
  );
}

/** The current ages of one relation and its TOAST table: a worker reads them right before its VACUUM. */
export const RELATION_AGE_SQL = `SELECT ${AGES} FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = $1`;

/** Everything the planner reads: the check engine's cluster snapshot plus, per database, the relations over the target. */
export interface PlanInputs {
  snapshot: Snapshot;
  targetXidAge: number;
  targetMxidAge: number;
  /** Per database name. */
  relations: Record<string, RelationRow[]>;
  locks: Record<string, LockRow[]>;
  skipped: Skip[];
}

export interface ReadPlanOptions {
  /** XID age to get every database under; autovacuum_freeze_max_age when absent. */
  targetXidAge?: number;
  /** MultiXact age to get under; the XID target, or autovacuum_multixact_freeze_max_age if that is lower, when absent. */
  targetMxidAge?: number;
  limits?: SessionLimits;
  /** Databases read at once. */
  concurrency?: number;
}

/** What the per-database reads need, in one round trip, so that they can run alongside collect(). */
const BASICS_SQL = `SELECT current_setting('server_version_num')::int AS version_num,
  current_setting('autovacuum_freeze_max_age')::int8 AS freeze_max_age,
  current_setting('autovacuum_multixact_freeze_max_age')::int8 AS mxid_freeze_max_age,
  (SELECT coalesce(array_agg(datname::text ORDER BY age(datfrozenxid) DESC), '{}') FROM pg_database
    WHERE datallowconn AND datconnlimit <> -2) AS databases`;

/**
 * Read the catalogs the plan needs. Horizon holders, database ages and settings come from the check engine's
 * collect(); the relations over the target are read from every database at the same time. Every session is
 * read-only and no query needs an XID, so this works in the stop zone.
 */
export async function readPlanInputs(conn: ConnOptions, options: ReadPlanOptions = {}): Promise<PlanInputs> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const entry = await openSession(conn, conn.database, limits);
  let basics: { version_num: number; freeze_max_age: number; mxid_freeze_max_age: number; databases: string[] };
  try {
    [basics] = (await entry.query<typeof basics>(BASICS_SQL)) as [typeof basics];
  } catch (error) {
    await entry.close();
    throw error;
  }
  const versionNum = basics.version_num;
  if (versionNum < 120000) {
    await entry.close();
    throw new DoctorError('server-error', `PostgreSQL ${versionNum} is older than 12, the oldest version mvcc-doctor supports`);
  }
  const targetXidAge = options.targetXidAge ?? basics.freeze_max_age;
  const targetMxidAge = options.targetMxidAge ?? Math.min(targetXidAge, basics.mxid_freeze_max_age);
  const relations: Record<string, RelationRow[]> = {};
  const skipped: Skip[] = [];
  const onSkip = (database: string, reason: string) => void skipped.push({ what: 'database', database, reason });
  const readOne = async (session: Session) => {
    try {
      relations[session.database] = await readRelations(session, versionNum, [targetXidAge, targetMxidAge]);
    } catch (error) {
      if (!(error instanceof DoctorError) || error.code === 'unreachable') throw error;
      skipped.push({ what: 'relations', database: session.database, reason: error.message });
    }
  };
  try {
    // dbname = the entry database: cluster-wide datasets, and table details of that database only.
    const [snapshot, lockRows] = await Promise.all([
      collect(conn, { dbname: conn.database, sampleMs: 0, limits }),
      readLocks(entry, versionNum, skipped),
      forEachDatabase(conn, basics.databases, { session: limits, concurrency: options.concurrency, entry, onSkip }, readOne),
    ]);
    const locks = locksByDatabase(lockRows, Object.keys(relations));
    return { snapshot, targetXidAge, targetMxidAge, relations, locks, skipped: [...snapshot.skipped, ...skipped] };
  } finally {
    await entry.close();
  }
}

/** The cluster's locks; none, and a skip, when they cannot be read (the VACUUMs then find them by lock_timeout). */
async function readLocks(entry: Session, versionNum: number, skipped: Skip[]): Promise<ClusterLockRow[]> {
  try {
    return await entry.query<ClusterLockRow>(sqlFor(locksDataset, versionNum)!);
  } catch (error) {
    if (!(error instanceof DoctorError) || error.code === 'unreachable') throw error;
    skipped.push({ what: locksDataset.name, reason: error.message });
    return [];
  }
}

async function readRelations(session: Session, versionNum: number, params: number[]): Promise<RelationRow[]> {
  try {
    return await session.query<RelationRow>(sqlFor(relationsDataset, versionNum)!, params);
  } catch (error) {
    // A lock taken between our look at pg_locks and pg_relation_size: fall back to relpages.
    if (error instanceof DoctorError && error.code === 'timeout') return session.query<RelationRow>(sqlFor(relationsFromCatalogDataset, versionNum)!, params);
    throw error;
  }
}
