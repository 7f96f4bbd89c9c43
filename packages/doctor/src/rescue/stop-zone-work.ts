import { sqlFor } from '../collect/dataset.js';
import type { DatabaseRow, ServerRow, SettingRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import type { ConnOptions } from '../connect/conn-options.js';
import { forEachDatabase } from '../connect/each-database.js';
import { openSession } from '../connect/safe-session.js';
import { buildFreezePlan, serverLimits, type PlannedRelation } from './freeze-plan.js';
import type { FreezeWork } from './freeze-run.js';
import { locksDataset, relationsDataset, type LockRow, type RelationRow } from './plan-sql.js';
import { PROGRESS_SQL, type ProgressRow } from './run-monitor.js';
import { rescueSessionOptions } from './rescue-session.js';

const SETTINGS = ['autovacuum_freeze_max_age', 'vacuum_failsafe_age', 'autovacuum_multixact_freeze_max_age', 'vacuum_multixact_failsafe_age'];

// current_setting, not pg_settings: the view builds a row for every setting, 1 ms of a new backend's first query.
const START_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_setting('server_version') AS version,
  (SELECT json_agg(json_build_object('name', name, 'setting', current_setting(name))) FROM unnest($1::text[]) AS name
    WHERE current_setting(name, true) IS NOT NULL) AS settings,
  (SELECT json_agg(json_build_object('datname', datname, 'datallowconn', datallowconn, 'datconnlimit', datconnlimit,
            'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid))) FROM pg_database) AS databases`;

interface Start {
  version_num: number;
  version: string;
  settings: { name: string; setting: string }[];
  databases: DatabaseRow[];
}

/**
 * In the stop zone every second counts: the relations that keep a database there (past the stop limit), read
 * in a few round trips so that freezing starts at once, while the full plan (horizon holders, blockers) is
 * read. Those VACUUMs are safe to run either way. A relation someone other than autovacuum locks is left to
 * the full plan (its VACUUM would only wait), and a database that keeps such a relation cannot leave the zone
 * by the others: its relations go last. Undefined when no database is in the stop zone.
 */
export async function readStopZoneWork(conn: ConnOptions, options: { jobs: number; emergency: boolean; lockTimeoutMs: number }): Promise<FreezeWork | undefined> {
  // Rescue sessions from the start: the workers take them over, which saves a connection each.
  const sessionOptions = rescueSessionOptions(options.lockTimeoutMs);
  const entry = await openSession(conn, conn.database, sessionOptions);
  let handedOver = false;
  try {
    const [start] = (await entry.query<Start>(START_SQL, [SETTINGS])) as [Start];
    const settings: SettingRow[] = start.settings.map((s) => ({ ...s, unit: null, source: 'default' }));
    const { xid, mxid } = serverLimits(start.version_num, settings);
    const stuck = start.databases.filter((d) => d.datallowconn && d.datconnlimit !== -2 && (d.xid_age >= xid.stop || d.mxid_age >= mxid.stop));
    if (stuck.length === 0 || start.version_num < 120000) return undefined;


    // Just under the stop limits: the relations past them.
    const params = [xid.stop - 1, mxid.stop - 1];
    const relations: Record<string, RelationRow[]> = {};
    const locks: Record<string, LockRow[]> = {};
    let progress: ProgressRow[] = [];
    const sessions = await forEachDatabase(conn, stuck.map((d) => d.datname), { session: sessionOptions, entry, onSkip: () => {}, keepOpen: true }, async (session) => {
      const [row] = await session.query<{ relations: RelationRow[] | null; locks: LockRow[] | null; progress: ProgressRow[] }>(relationsAndLocksSql(start.version_num), params);
      relations[session.database] = row?.relations ?? [];
      locks[session.database] = row?.locks ?? [];
      // Every database's session sees the whole cluster's VACUUMs: the latest look wins.
      progress = row?.progress ?? [];
    });
    const server = { version_num: start.version_num, version: start.version } as ServerRow;
    const snapshot: Snapshot = { server, settings, databases: start.databases, tables: {}, locks: {}, skipped: [] };
    const plan = buildFreezePlan({ snapshot, targetXidAge: params[0]!, targetMxidAge: params[1]!, relations, locks, skipped: [] }, options);
    handedOver = true;
    return {
      sessions: sessions.includes(entry) ? sessions : [...sessions, entry],
      relations: unheldFirst(plan.order, locks),
      target: plan.target,
      limits: plan.limits,
      databases: start.databases.map((d) => ({ datname: d.datname, xid_age: d.xid_age, mxid_age: d.mxid_age, allows: d.datallowconn && d.datconnlimit !== -2 })),
      final: false,
      progress,
    };
  } finally {
    if (!handedOver) await entry.close();
  }
}

/**
 * The relations past the limits, the locks that would make their VACUUM wait, and the VACUUMs running (so that the
 * workers need not wait for the control loop's first look before they start), in one round trip.
 */
function relationsAndLocksSql(versionNum: number): string {
  return `SELECT (SELECT json_agg(r) FROM (${sqlFor(relationsDataset, versionNum)!}) r) AS relations,
    (SELECT json_agg(l) FROM (${sqlFor(locksDataset, versionNum)!}) l) AS locks,
    ${PROGRESS_SQL} AS progress`;
}

/** Without the relations held by someone's lock, and with the other relations of their databases last. */
function unheldFirst(order: readonly PlannedRelation[], locks: Record<string, LockRow[]>): PlannedRelation[] {
  const held = new Set(Object.entries(locks).flatMap(([database, rows]) => rows.filter((l) => l.backend_type !== 'autovacuum worker').map((l) => `${database}/${l.oid}`)));
  const free = order.filter((r) => !held.has(`${r.database}/${r.oid}`));
  const cappedDatabases = new Set(order.filter((r) => held.has(`${r.database}/${r.oid}`)).map((r) => r.database));
  return [...free.filter((r) => !cappedDatabases.has(r.database)), ...free.filter((r) => cappedDatabases.has(r.database))];
}
