import { horizonHolders, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { qualified } from '../report/sql-text.js';
import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { ageLimits, zoneOf, type AgeLimits, type Zone } from '../mvcc/wraparound-limits.js';
import { describeHolder } from '../mvcc/horizon-holders.js';
import { settingNumber } from '../collect/rows.js';
import type { DatabaseRow } from '../collect/rows.js';
import type { Skip } from '../collect/snapshot.js';
import { blockersOf, type Blocker } from './blockers.js';
import type { PlanInputs, RelationRow } from './plan-sql.js';

/** How the plan is made. */
export interface FreezePlanOptions {
  /** Sessions that VACUUM in parallel, across all databases. */
  jobs: number;
  /** Add INDEX_CLEANUP off: skip index vacuuming and cleanup, freeze only (what the failsafe does by itself). */
  emergency: boolean;
  /** Heap pages one session scans per second, for the time estimate. Default 30,000 (about 240 MB/s, measured for VACUUM (FREEZE) on a 2-core lab machine). */
  pagesPerSecond?: number;
}

/** Zones in the order they are left, most urgent first; "ok" is over the target but under autovacuum_freeze_max_age. */
const TIERS: Zone[] = ['stop', 'warn', 'failsafe', 'autovacuum', 'ok'];

/** One VACUUM the run will issue. */
export interface PlannedRelation {
  database: string;
  oid: number;
  schema: string;
  name: string;
  kind: 'r' | 'm';
  /** A shared catalog: one relation for the cluster, listed in every database; never vacuumed twice at once. */
  shared: boolean;
  /** Quoted, schema-qualified. */
  relation: string;
  /** Of the table and its TOAST table, whichever is older. */
  xidAge: number;
  mxidAge: number;
  /** Heap and TOAST pages. */
  pages: number;
  /** Pages VACUUM must read: all of them before 18; on 18 those not yet all-frozen (relallfrozen). */
  pagesToScan: number;
  /** The most urgent zone its age puts it in: relations are frozen zone by zone. */
  tier: Zone;
  sql: string;
  /** Who holds a lock this VACUUM would wait for. */
  lockedBy?: string;
  /** Simulated start and end, in seconds from the start of the run. */
  startsAt: number;
  endsAt: number;
}

/** One database: where it is, and where freezing can take it. */
export interface DatabasePlan {
  name: string;
  xidAge: number;
  mxidAge: number;
  zone: Zone;
  mxidZone: Zone;
  allowsConnections: boolean;
  /** Relations to freeze in it, and their pages. */
  relations: number;
  pagesToScan: number;
  /**
   * The age it would have after the freeze while the horizon holders stay: a freeze cannot advance
   * relfrozenxid past the oldest xmin, and every holder reaches every database through the shared catalogs.
   * Null when the freeze takes it under the target.
   */
  reachableXidAge: number | null;
  /** What keeps it there. */
  heldBy?: string;
  reachesTarget: boolean;
  leavesStopZone: boolean;
  /** Simulated seconds until it is under the target / out of the stop zone (when it gets there). */
  underTargetAt?: number;
  outOfStopZoneAt?: number;
  notes: string[];
}

/** A holder of the xmin horizon as the pre-flight shows it. */
export interface HolderLine {
  kind: HorizonHolder['kind'];
  description: string;
  xmin: string;
  xids: number;
  seconds?: number;
  database?: string;
  /** How it caps freezing. */
  reach: string;
}

export interface FreezePlan {
  server: { version: string; versionNum: number };
  target: { xidAge: number; mxidAge: number };
  limits: { xid: AgeLimits; mxid: AgeLimits };
  jobs: number;
  emergency: boolean;
  pagesPerSecond: number;
  /** The settings of every rescue session, as SQL. */
  sessionSettings: string[];
  databases: DatabasePlan[];
  /** Every horizon holder, oldest first. */
  holders: HolderLine[];
  /** What stands in the way, with what --release-blockers would do about it. */
  blockers: Blocker[];
  /** The VACUUM commands, in the order they are started. */
  order: PlannedRelation[];
  /** Relations over the target that the run cannot freeze, and why. */
  cannotFreeze: { database: string; relation: string; xidAge: number; reason: string }[];
  estimate: {
    /** Until the last VACUUM ends. */
    seconds: number;
    /** Until no database is in the stop zone, when some is and the freeze can get it out. */
    outOfStopZoneSeconds?: number;
  };
  skipped: Skip[];
}

export const DEFAULT_PAGES_PER_SECOND = 30_000;
/** Below this many pages a VACUUM takes less than opening a session to another database does. */
export const SMALL_PAGES = 256;
/** Connection, catalog and datfrozenxid update: what one VACUUM costs besides its pages. */
const PER_RELATION_SECONDS = 0.005;

/** The plan, from what `readPlanInputs` read: pure, so it is tested on row fixtures. */
export function buildFreezePlan(inputs: PlanInputs, options: FreezePlanOptions, sessionSettings: string[] = []): FreezePlan {
  const { snapshot } = inputs;
  const versionNum = snapshot.server.version_num;
  const xidLimits = ageLimits(
    versionNum,
    settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000),
    settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000),
  );
  const mxidLimits = ageLimits(
    versionNum,
    settingNumber(snapshot.settings, 'autovacuum_multixact_freeze_max_age', 400_000_000),
    settingNumber(snapshot.settings, 'vacuum_multixact_failsafe_age', 1_600_000_000),
  );
  const pagesPerSecond = options.pagesPerSecond ?? DEFAULT_PAGES_PER_SECOND;
  const holders = horizonHolders(snapshot);
  const blockers = blockersOf(holders, inputs);
  const lockedBy = new Map<string, string>();
  // Locks of blockers hold a relation at its age until released; autovacuum's locks pass by themselves.
  const blockedBy = new Map<string, string>();
  for (const b of blockers) {
    for (const key of b.locks ?? []) {
      lockedBy.set(key, b.description);
      blockedBy.set(key, b.description);
    }
  }
  for (const [database, locks] of Object.entries(inputs.locks)) {
    for (const l of locks) {
      if (l.backend_type === 'autovacuum worker') lockedBy.set(`${database}/${l.oid}`, `autovacuum (pid ${l.pid}), which is vacuuming it now`);
    }
  }

  const cannotFreeze: FreezePlan['cannotFreeze'] = [];
  const candidates: Omit<PlannedRelation, 'startsAt' | 'endsAt'>[] = [];
  for (const [database, rows] of Object.entries(inputs.relations)) {
    for (const row of rows) {
      const relation = qualified(row.schema, row.name);
      if (row.persistence === 't') {
        cannotFreeze.push({ database, relation, xidAge: row.xid_age, reason: 'a temporary table: only the session that made it can vacuum it (ending that session drops it)' });
        continue;
      }
      const tier = worseZone(zoneOf(row.xid_age, xidLimits), zoneOf(row.mxid_age, mxidLimits));
      candidates.push({
        database,
        oid: row.oid,
        schema: row.schema,
        name: row.name,
        kind: row.kind,
        shared: row.shared,
        relation,
        xidAge: row.xid_age,
        mxidAge: row.mxid_age,
        pages: row.pages + row.toast_pages,
        pagesToScan: pagesToScan(row),
        tier,
        sql: vacuumSql(relation, options.emergency),
        lockedBy: lockedBy.get(`${database}/${row.oid}`),
      });
    }
  }
  const capping = holders[0];
  const reach = reachableAges(snapshot.databases ?? [], candidates, cannotFreeze, blockedBy, capping, inputs);
  // A relation whose database stays in its zone anyway (a holder caps it there) cannot take it out: it goes
  // after those that can, so the databases that can leave a zone leave it first. One a blocker locks would
  // only wait for its lock_timeout: it goes last of all.
  const capped = (r: { database: string; tier: Zone }) => {
    const age = reach.get(r.database)?.age ?? 0;
    return r.tier === 'ok' ? age > inputs.targetXidAge : TIERS.indexOf(zoneOf(age, xidLimits)) <= TIERS.indexOf(r.tier);
  };
  // Zone by zone, so each zone is left as early as possible; within a zone oldest first, the incident's rule:
  // every relation done lowers its database's age at once (datfrozenxid is recomputed after each VACUUM).
  // Small relations (catalogs, mostly) cost less than a new connection: they come last in their zone,
  // grouped by database, oldest first.
  const small = (r: { pagesToScan: number }) => r.pagesToScan < SMALL_PAGES;
  candidates.sort(
    (a, b) =>
      Number(blockedBy.has(`${a.database}/${a.oid}`)) - Number(blockedBy.has(`${b.database}/${b.oid}`)) ||
      TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier) ||
      Number(capped(a)) - Number(capped(b)) ||
      Number(small(a)) - Number(small(b)) ||
      (small(a) ? compareText(a.database, b.database) : 0) ||
      b.xidAge - a.xidAge ||
      b.mxidAge - a.mxidAge ||
      b.pagesToScan - a.pagesToScan,
  );
  const order = schedule(candidates, Math.max(1, options.jobs), pagesPerSecond);

  const databases = (snapshot.databases ?? []).map((db) => {
    const planned = order.filter((r) => r.database === db.datname);
    const notes: string[] = [];
    const { age: reachable, heldBy } = reach.get(db.datname) ?? { age: 0 };
    const readable = db.datname in inputs.relations;
    if (!readable && !db.datallowconn && (db.xid_age > inputs.targetXidAge || db.mxid_age > inputs.targetMxidAge)) {
      notes.push(
        'does not accept connections: autovacuum freezes it by itself (it is normally all frozen, so that is quick). ' +
          `ALLOW_CONNECTIONS needs a new XID, so outside the stop zone only: ALTER DATABASE ${quoteIdent(db.datname)} ALLOW_CONNECTIONS true;`,
      );
    }
    const reachesTarget = reachable <= inputs.targetXidAge;
    const stopAge = xidLimits.stop;
    const inStop = db.xid_age >= stopAge;
    const leavesStopZone = reachable < stopAge;
    const end = (rels: PlannedRelation[]) => rels.reduce((max, r) => Math.max(max, r.endsAt), 0);
    if (planned.some((r) => r.lockedBy)) notes.push('some of its relations are locked: their VACUUM waits (lock_timeout), is retried once at the end, and is reported if it still cannot run');
    const plan: DatabasePlan = {
      name: db.datname,
      xidAge: db.xid_age,
      mxidAge: db.mxid_age,
      zone: zoneOf(db.xid_age, xidLimits),
      mxidZone: zoneOf(db.mxid_age, mxidLimits),
      allowsConnections: db.datallowconn,
      relations: planned.length,
      pagesToScan: planned.reduce((sum, r) => sum + r.pagesToScan, 0),
      reachableXidAge: reachesTarget ? null : reachable,
      heldBy: reachesTarget ? undefined : heldBy,
      reachesTarget,
      leavesStopZone,
      underTargetAt: reachesTarget ? end(planned) : undefined,
      outOfStopZoneAt: inStop && leavesStopZone ? end(planned.filter((r) => r.xidAge >= stopAge)) : undefined,
      notes,
    };
    return plan;
  });

  const stopExits = databases.filter((d) => d.outOfStopZoneAt !== undefined);
  const allLeave = databases.every((d) => d.zone !== 'stop' || d.leavesStopZone);
  return {
    server: { version: snapshot.server.version, versionNum },
    target: { xidAge: inputs.targetXidAge, mxidAge: inputs.targetMxidAge },
    limits: { xid: xidLimits, mxid: mxidLimits },
    jobs: Math.max(1, options.jobs),
    emergency: options.emergency,
    pagesPerSecond,
    sessionSettings,
    databases,
    holders: holders.map(holderLine),
    blockers,
    order,
    cannotFreeze,
    estimate: {
      seconds: order.reduce((max, r) => Math.max(max, r.endsAt), 0),
      outOfStopZoneSeconds: stopExits.length > 0 && allLeave ? Math.max(...stopExits.map((d) => d.outOfStopZoneAt!)) : undefined,
    },
    skipped: inputs.skipped,
  };
}

/**
 * The age each database would have after the freeze while the horizon holders stay, and what holds it there:
 * a freeze cannot advance relfrozenxid past the oldest xmin (every holder reaches every database through the
 * shared catalogs), nor freeze what it cannot touch (temporary tables, relations a blocker locks, a database
 * it cannot read).
 */
function reachableAges(
  databases: readonly DatabaseRow[],
  candidates: readonly { database: string; oid: number; relation: string; xidAge: number }[],
  cannotFreeze: FreezePlan['cannotFreeze'],
  blockedBy: ReadonlyMap<string, string>,
  capping: HorizonHolder | undefined,
  inputs: PlanInputs,
): Map<string, { age: number; heldBy?: string }> {
  const reach = new Map<string, { age: number; heldBy?: string }>();
  for (const db of databases) {
    let held = { age: capping?.xids ?? 0, heldBy: capping ? describeHolder(capping) : undefined };
    const holdAt = (age: number, by: string) => {
      if (age > held.age) held = { age, heldBy: by };
    };
    for (const c of cannotFreeze.filter((c) => c.database === db.datname)) holdAt(c.xidAge, `${c.relation}, ${c.reason.split(':')[0]}`);
    for (const r of candidates.filter((c) => c.database === db.datname)) {
      const by = blockedBy.get(`${r.database}/${r.oid}`);
      if (by) holdAt(r.xidAge, `${by}, which locks ${r.relation}`);
    }
    if (!(db.datname in inputs.relations) && (db.xid_age > inputs.targetXidAge || db.mxid_age > inputs.targetMxidAge)) {
      holdAt(db.xid_age, db.datallowconn ? 'its relations could not be read (see skipped)' : 'it does not accept connections');
    }
    reach.set(db.datname, held);
  }
  return reach;
}

/** The VACUUM of one relation. TRUNCATE false: truncating empty end pages needs an XID, refused in the stop zone. */
export function vacuumSql(relation: string, emergency: boolean): string {
  return `VACUUM (FREEZE, TRUNCATE false${emergency ? ', INDEX_CLEANUP off' : ''}) ${relation}`;
}

export function pagesToScan(row: RelationRow): number {
  const pages = row.pages + row.toast_pages;
  return row.frozen_pages === null ? pages : Math.max(0, pages - row.frozen_pages);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function worseZone(a: Zone, b: Zone): Zone {
  return TIERS.indexOf(a) <= TIERS.indexOf(b) ? a : b;
}

/** List scheduling on `jobs` workers in plan order: when each VACUUM would start and end. */
function schedule(relations: Omit<PlannedRelation, 'startsAt' | 'endsAt'>[], jobs: number, pagesPerSecond: number): PlannedRelation[] {
  const free = Array.from({ length: jobs }, () => 0);
  return relations.map((r) => {
    const worker = free.indexOf(Math.min(...free));
    const startsAt = free[worker]!;
    const endsAt = startsAt + PER_RELATION_SECONDS + r.pagesToScan / pagesPerSecond;
    free[worker] = endsAt;
    return { ...r, startsAt, endsAt };
  });
}

function holderLine(h: HorizonHolder): HolderLine {
  const reach =
    h.reach === 'cluster'
      ? 'every database'
      : h.reach === 'catalog'
        ? 'the system catalogs of every database'
        : `database "${h.database}", and every other database through the shared catalogs`;
  return { kind: h.kind, description: describeHolder(h), xmin: h.xmin, xids: h.xids, seconds: h.seconds, database: h.database, reach };
}
