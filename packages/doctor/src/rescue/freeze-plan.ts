import { settingNumber, type SettingRow } from '../collect/rows.js';
import type { Skip } from '../collect/snapshot.js';
import { capsText } from '../mvcc/horizon-caps.js';
import { describeHolder, horizonHolders, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { ageLimits, zoneOf, type AgeLimits, type Zone } from '../mvcc/wraparound-limits.js';
import { blockersOf, type Blocker } from './blockers.js';
import { databasePlan, reachableAges } from './plan-databases.js';
import { candidatesOf, lockIndex, orderCandidates, schedule, TIERS, type Candidate } from './plan-order.js';
import type { PlanInputs } from './plan-sql.js';

export { pagesToScan, SMALL_PAGES, vacuumSql } from './plan-order.js';

/** How the plan is made. */
export interface FreezePlanOptions {
  /** Sessions that VACUUM in parallel, across all databases. */
  jobs: number;
  /** Add INDEX_CLEANUP off: skip index vacuuming and cleanup, freeze only (what the failsafe does by itself). */
  emergency: boolean;
  /** Heap pages one session scans per second, for the time estimate. Default 30,000 (about 240 MB/s, measured for VACUUM (FREEZE) on a 2-core lab machine). */
  pagesPerSecond?: number;
}

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

/** The plan, from what `readPlanInputs` read: pure, so it is tested on row fixtures. */
export function buildFreezePlan(inputs: PlanInputs, options: FreezePlanOptions, sessionSettings: string[] = []): FreezePlan {
  const { snapshot } = inputs;
  const limits = serverLimits(inputs.snapshot.server.version_num, inputs.snapshot.settings);
  const pagesPerSecond = options.pagesPerSecond ?? DEFAULT_PAGES_PER_SECOND;
  const holders = horizonHolders(snapshot);
  const blockers = blockersOf(holders, inputs);
  const { lockedBy, blockedBy } = lockIndex(blockers, inputs.locks);
  const { candidates, cannotFreeze } = candidatesOf(inputs, limits, lockedBy, options.emergency);
  const reach = reachableAges(candidates, cannotFreeze, blockedBy, holders, inputs);
  // Its database stays in the relation's zone (or over the target) whatever we freeze while the holders stay.
  const capped = (r: Candidate) => {
    const age = reach.get(r.database)?.age ?? 0;
    return r.tier === 'ok' ? age > inputs.targetXidAge : TIERS.indexOf(zoneOf(age, limits.xid)) <= TIERS.indexOf(r.tier);
  };
  const order = schedule(orderCandidates(candidates, blockedBy, capped), Math.max(1, options.jobs), pagesPerSecond);
  const databases = (snapshot.databases ?? []).map((db) => databasePlan(db, order, reach.get(db.datname) ?? { age: 0 }, inputs, limits));
  const stopExits = databases.filter((d) => d.outOfStopZoneAt !== undefined);
  const allLeave = databases.every((d) => d.zone !== 'stop' || d.leavesStopZone);
  return {
    server: { version: snapshot.server.version, versionNum: snapshot.server.version_num },
    target: { xidAge: inputs.targetXidAge, mxidAge: inputs.targetMxidAge },
    limits,
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

/** The XID and MultiXact limits of a server, from its version and settings (the stop-zone read uses them too). */
export function serverLimits(versionNum: number, settings: SettingRow[] | undefined): { xid: AgeLimits; mxid: AgeLimits } {
  const setting = (name: string, fallback: number) => settingNumber(settings, name, fallback);
  return {
    xid: ageLimits(versionNum, setting('autovacuum_freeze_max_age', 200_000_000), setting('vacuum_failsafe_age', 1_600_000_000)),
    mxid: ageLimits(versionNum, setting('autovacuum_multixact_freeze_max_age', 400_000_000), setting('vacuum_multixact_failsafe_age', 1_600_000_000)),
  };
}

function holderLine(h: HorizonHolder): HolderLine {
  return { kind: h.kind, description: describeHolder(h), xmin: h.xmin, xids: h.xids, seconds: h.seconds, database: h.database, reach: capsText(h) };
}
