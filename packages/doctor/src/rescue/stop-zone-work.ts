import { sqlFor } from '../collect/dataset.js';
import type { DatabaseRow, ServerRow, SettingRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import type { ConnOptions } from '../connect/conn-options.js';
import { forEachDatabase } from '../connect/each-database.js';
import { openSession, type Session, type SessionOptions } from '../connect/safe-session.js';
import { buildFreezePlan, serverLimits, type PlannedRelation } from './freeze-plan.js';
import type { FreezeRunHandle } from './freeze-runner.js';
import { locksByDatabase, locksDataset, relationsDataset, type ClusterLockRow, type LockRow, type RelationRow } from './plan-sql.js';
import { PROGRESS_SQL, type ProgressRow } from './run-monitor.js';
import { rescueSessionOptions } from './rescue-session.js';

const SETTINGS = ['autovacuum_freeze_max_age', 'vacuum_failsafe_age', 'autovacuum_multixact_freeze_max_age', 'vacuum_multixact_failsafe_age'];

/**
 * What the stop-zone read needs from the entry session, in one round trip: version, limits, database ages, and the
 * cluster's locks and running VACUUMs. current_setting, not pg_settings: the view builds a row for every setting,
 * 1 ms of a new backend's first query.
 */
const START_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_setting('server_version') AS version,
  (SELECT json_agg(json_build_object('name', name, 'setting', current_setting(name))) FROM unnest($1::text[]) AS name
    WHERE current_setting(name, true) IS NOT NULL) AS settings,
  (SELECT json_agg(json_build_object('datname', datname, 'datallowconn', datallowconn, 'datconnlimit', datconnlimit,
            'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid))) FROM pg_database) AS databases,
  (SELECT json_agg(l) FROM (${sqlFor(locksDataset, 120000)!}) l) AS locks,
  ${PROGRESS_SQL} AS progress`;

interface Start {
  version_num: number;
  version: string;
  settings: { name: string; setting: string }[];
  databases: DatabaseRow[];
  locks: ClusterLockRow[] | null;
  progress: ProgressRow[];
}

/**
 * In the stop zone every second counts: the relations that keep a database there (past the stop limit) are read
 * in a few round trips so that freezing starts at once, while the full plan (horizon holders, blockers) is read.
 * Those VACUUMs are safe to run either way. A relation someone other than autovacuum locks is left to the full
 * plan (its VACUUM would only wait), and a database that keeps such a relation cannot leave the zone by the
 * others: its relations go last. Each database's work is added to the run as soon as it is read; nothing is when
 * no database is in the stop zone.
 */
export async function readStopZoneWork(
  conn: ConnOptions,
  options: { jobs: number; emergency: boolean; lockTimeoutMs: number },
  run: Pick<FreezeRunHandle, 'add' | 'idle'>,
): Promise<void> {
  // Rescue sessions from the start: the workers take them over, which saves a connection each.
  const sessionOptions = rescueSessionOptions(options.lockTimeoutMs);
  const entry = await openSession(conn, conn.database, sessionOptions);
  let entryHandedOver = false;
  try {
    const [start] = (await entry.query<Start>(START_SQL, [SETTINGS])) as [Start];
    const { xid, mxid } = serverLimits(start.version_num, start.settings.map((s) => ({ ...s, unit: null, source: 'default' })));
    const stuck = start.databases.filter((d) => d.datallowconn && d.datconnlimit !== -2 && (d.xid_age >= xid.stop || d.mxid_age >= mxid.stop));
    if (stuck.length === 0 || start.version_num < 120000) return;

    // Just under the stop limits: the relations past them.
    await addWorkByDatabase({ conn, sessionOptions, entry, start, names: stuck.map((d) => d.datname), params: [xid.stop - 1, mxid.stop - 1], options, run });
    entryHandedOver = true;
  } finally {
    if (!entryHandedOver) await entry.close();
  }
}

interface DatabaseWorkInputs {
  conn: ConnOptions;
  sessionOptions: SessionOptions;
  /** Handed to the run with the last work. */
  entry: Session;
  start: Start;
  /** The databases in the stop zone. */
  names: string[];
  /** The XID and MultiXact ages over which a relation holds its database in the zone. */
  params: [number, number];
  options: { jobs: number; emergency: boolean };
  run: Pick<FreezeRunHandle, 'add' | 'idle'>;
}

/** Each database's relations past the limits, read in a session of its own and added to the run as they come. */
async function addWorkByDatabase({ conn, sessionOptions, entry, start, names, params, options, run }: DatabaseWorkInputs): Promise<void> {
  const locks = locksByDatabase(start.locks ?? [], names);
  const server = { version_num: start.version_num, version: start.version } as ServerRow;
  const settings: SettingRow[] = start.settings.map((s) => ({ ...s, unit: null, source: 'default' }));
  const snapshot: Snapshot = { server, settings, databases: start.databases, tables: {}, locks: {}, skipped: [] };
  const databases = start.databases.map((d) => ({ datname: d.datname, xid_age: d.xid_age, mxid_age: d.mxid_age, allows: d.datallowconn && d.datconnlimit !== -2 }));
  let first = true;
  const hand = (relations: Record<string, RelationRow[]>, held: Record<string, LockRow[]>, sessions: Session[], last = false) => {
    const plan = buildFreezePlan({ snapshot, targetXidAge: params[0], targetMxidAge: params[1], relations, locks: held, skipped: [] }, options);
    // The running VACUUMs come with the first work; the entry session with the last (until then it may read its own database).
    run.add({ sessions: last ? [...sessions, entry] : sessions, relations: withoutHeld(plan.order, held), target: plan.target, limits: plan.limits, databases, final: false, progress: first ? start.progress : undefined, agesJustRead: true });
    first = false;
  };
  // Databases a holder keeps in the zone (it locks one of their relations past the limit): after all the others.
  const capped = { relations: {} as Record<string, RelationRow[]>, locks: {} as Record<string, LockRow[]>, sessions: [] as Session[] };
  const readEach = (list: string[]) =>
    forEachDatabase(conn, list, { session: sessionOptions, entry, onSkip: () => {}, keepOpen: true }, async (session) => {
      const database = session.database;
      const rows = await session.query<RelationRow>(sqlFor(relationsDataset, start.version_num)!, params);
      const sessions = session === entry ? [] : [session];
      const heldOids = new Set(locks[database]!.filter(isHeld).map((l) => l.oid));
      if (!rows.some((r) => heldOids.has(r.oid))) return hand({ [database]: rows }, { [database]: locks[database]! }, sessions);
      capped.relations[database] = rows;
      capped.locks[database] = locks[database]!;
      capped.sessions.push(...sessions);
    });
  // Databases where someone holds a lock are read once the others are out of the zone: a holder probably keeps them
  // there, and on a small machine their reads slowed the VACUUMs that take the others out (by ~20 ms of ~250).
  const locked = names.filter((d) => locks[d]!.some(isHeld));
  try {
    await readEach(names.filter((d) => !locked.includes(d)));
    if (locked.length > 0) {
      await run.idle();
      await readEach(locked);
    }
  } catch (error) {
    await Promise.all(capped.sessions.map((s) => s.close()));
    throw error;
  }
  hand(capped.relations, capped.locks, capped.sessions, true);
}

/** Autovacuum's locks pass by themselves (and the run leaves its VACUUMs to it); anyone else's hold the relation. */
const isHeld = (lock: LockRow) => lock.backend_type !== 'autovacuum worker';

/** The plan's order without the relations someone holds: the full plan brings those with their blockers. */
function withoutHeld(order: readonly PlannedRelation[], locks: Record<string, LockRow[]>): PlannedRelation[] {
  const held = new Set(Object.entries(locks).flatMap(([database, rows]) => rows.filter(isHeld).map((l) => `${database}/${l.oid}`)));
  return order.filter((r) => !held.has(`${r.database}/${r.oid}`));
}
