import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { forEachDatabase } from '../connect/each-database.js';
import { DEFAULT_LIMITS, openSession, type Session, type SessionLimits } from '../connect/safe-session.js';
import { CLUSTER_DATASETS, server as serverDataset } from './cluster-datasets.js';
import { DATABASE_DATASETS } from './database-datasets.js';
import { sqlFor, type Dataset, type Privilege } from './dataset.js';
import type { DatabaseRow, ServerRow } from './rows.js';
import type { Skip, Snapshot, XidRate } from './snapshot.js';

export interface CollectOptions {
  /** Only this database (table-level data); all that accept connections when absent. */
  dbname?: string;
  /** Measure the XID consumption rate over this many ms (0: do not measure). */
  sampleMs: number;
  limits?: SessionLimits;
  /** Databases examined at once. */
  concurrency?: number;
  /** Also read the costly datasets (bloat): `check` does; the daemon and the rescue do not. */
  costly?: boolean;
  /**
   * Runs on the entry session once the cluster-wide datasets are in the snapshot: `check` adds the server log's
   * tail there. Passed in, so that what only `check` reads stays out of the rescue's bundle (its start-up time).
   */
  withEntry?: (entry: Session, snapshot: Snapshot) => Promise<void>;
}

/** Read every dataset the checks need, once, from every database that accepts connections. */
export async function collect(conn: ConnOptions, options: CollectOptions): Promise<Snapshot> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const entry = await openSession(conn, options.dbname ?? conn.database, limits);
  try {
    const started = Date.now();
    const [probe] = await entry.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    const first = await readServer(entry, probe!.v);
    const snapshot: Snapshot = { server: first, tables: {}, locks: {}, skipped: [] };
    const cluster: Record<string, unknown[]> = {};
    for (const dataset of CLUSTER_DATASETS.filter((d) => d !== serverDataset)) {
      const rows = await readDataset(entry, dataset, first, cluster, snapshot.skipped);
      if (rows) {
        cluster[dataset.name] = rows;
        (snapshot as unknown as Record<string, unknown>)[dataset.name] = rows;
      }
    }
    await options.withEntry?.(entry, snapshot);
    const targets = databasesToExamine(snapshot.databases, options.dbname ?? entry.database, options.dbname !== undefined);
    const onSkip = (database: string, reason: string) => void snapshot.skipped.push({ what: 'database', database, reason });
    await forEachDatabase(conn, targets, { session: limits, concurrency: options.concurrency, entry, onSkip }, async (session) => {
      for (const dataset of DATABASE_DATASETS.filter((d) => options.costly || !d.costly)) {
        const rows = await readDataset(session, dataset, first, cluster, snapshot.skipped);
        // tables and locks are always there (possibly empty); a dataset added later appears with its first database.
        if (rows) ((snapshot as unknown as Record<string, Record<string, unknown[]>>)[dataset.name] ??= {})[session.database] = rows;
      }
    });
    if (options.sampleMs > 0) {
      await sleep(Math.max(0, options.sampleMs - (Date.now() - started)));
      const last = await readServer(entry, first.version_num);
      snapshot.xidRate = rateBetween(first, last);
      const mxidRate = multixactRateBetween(first, last);
      if (mxidRate) snapshot.mxidRate = mxidRate;
    }
    return snapshot;
  } finally {
    await entry.close();
  }
}

async function readServer(session: Session, versionNum: number): Promise<ServerRow> {
  const sql = sqlFor(serverDataset, versionNum);
  if (!sql) throw new DoctorError('server-error', `PostgreSQL ${versionNum} is older than 12, the oldest version mvcc-doctor supports`);
  const [row] = await session.query<ServerRow>(sql);
  return row!;
}

function rateBetween(a: ServerRow, b: ServerRow): XidRate {
  const seconds = Math.max(b.at - a.at, 1e-3);
  return { xidsPerSecond: Math.max(0, Number(BigInt(b.next_xid) - BigInt(a.next_xid))) / seconds, sampleSeconds: seconds };
}

/** From the age of one datminmxid at both ends; undefined if a VACUUM advanced it in between. */
function multixactRateBetween(a: ServerRow, b: ServerRow): XidRate | undefined {
  if (a.mxid_probe_age === undefined || b.mxid_probe_age === undefined || a.mxid_probe_min !== b.mxid_probe_min) return undefined;
  const seconds = Math.max(b.at - a.at, 1e-3);
  return { xidsPerSecond: Math.max(0, b.mxid_probe_age - a.mxid_probe_age) / seconds, sampleSeconds: seconds };
}

function hasPrivilege(server: ServerRow, needs: Privilege | undefined): boolean {
  if (!needs || server.superuser) return true;
  return needs === 'pg_read_all_stats' ? server.read_all_stats : false;
}

const PRIVILEGE_HINT: Record<Privilege, string> = {
  pg_read_all_stats: 'needs pg_read_all_stats (GRANT pg_monitor TO <role>)',
  superuser: 'needs superuser',
};

/** A dataset's rows, or undefined with a skip entry saying why (privilege, version, permission denied). */
async function readDataset(
  session: Session,
  dataset: Dataset,
  server: ServerRow,
  cluster: Record<string, unknown[]>,
  skipped: Skip[],
): Promise<unknown[] | undefined> {
  const database = dataset.scope === 'database' ? session.database : undefined;
  if (!hasPrivilege(server, dataset.needs)) {
    if (!skipped.some((s) => s.what === dataset.name)) skipped.push({ what: dataset.name, reason: PRIVILEGE_HINT[dataset.needs!] });
    return undefined;
  }
  const sql = sqlFor(dataset, server.version_num);
  if (!sql) {
    skipped.push({ what: dataset.name, database, reason: `not available on PostgreSQL ${server.version}` });
    return undefined;
  }
  try {
    const rows = await session.query(sql, dataset.params?.(cluster) ?? []);
    return dataset.refine ? await dataset.refine(session, rows) : rows;
  } catch (error) {
    if (error instanceof DoctorError && (error.code === 'privilege' || error.code === 'timeout' || error.code === 'server-error')) {
      skipped.push({ what: dataset.name, database, reason: error.message });
      return undefined;
    }
    throw error;
  }
}

function databasesToExamine(databases: DatabaseRow[] | undefined, entry: string, onlyEntry: boolean): string[] {
  if (onlyEntry || !databases) return [entry];
  // datconnlimit -2 marks a database left invalid by an interrupted DROP DATABASE (16+).
  return databases.filter((d) => d.datallowconn && d.datconnlimit !== -2).map((d) => d.datname);
}
