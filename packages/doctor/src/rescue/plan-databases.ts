import { quoteIdent } from '@mvcc-doctor/pg/quote';
import type { DatabaseRow } from '../collect/rows.js';
import { oldestCapper, scopeText } from '../mvcc/horizon-caps.js';
import { describeHolder, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { zoneOf, type AgeLimits } from '../mvcc/wraparound-limits.js';
import type { DatabasePlan, FreezePlan, PlannedRelation } from './freeze-plan.js';
import type { Candidate } from './plan-order.js';
import type { PlanInputs } from './plan-sql.js';

/** How far freezing can take a database while the holders stay, and what keeps it there. */
export interface Reach {
  age: number;
  heldBy?: string;
}

/**
 * The age each database would have after the freeze while the horizon holders stay, and what holds it there:
 * a freeze cannot advance relfrozenxid past the oldest xmin (every holder caps every database, through the
 * catalogs at least: horizon-caps.ts), nor freeze what it cannot touch (temporary tables, relations a blocker locks, a database
 * it cannot read).
 */
export function reachableAges(
  candidates: readonly Candidate[],
  cannotFreeze: FreezePlan['cannotFreeze'],
  blockedBy: ReadonlyMap<string, string>,
  holders: readonly HorizonHolder[],
  inputs: PlanInputs,
): Map<string, Reach> {
  const reach = new Map<string, Reach>();
  for (const db of inputs.snapshot.databases ?? []) {
    const capper = oldestCapper(holders, db.datname);
    let held: Reach = { age: capper?.holder.xids ?? 0, heldBy: capper ? `${describeHolder(capper.holder)}, which caps ${scopeText(capper.scope)} here` : undefined };
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

/** One database's line of the plan: where it is, where the freeze takes it, and when. */
export function databasePlan(db: DatabaseRow, order: readonly PlannedRelation[], reach: Reach, inputs: PlanInputs, limits: { xid: AgeLimits; mxid: AgeLimits }): DatabasePlan {
  const planned = order.filter((r) => r.database === db.datname);
  const notes: string[] = [];
  if (!(db.datname in inputs.relations) && !db.datallowconn && (db.xid_age > inputs.targetXidAge || db.mxid_age > inputs.targetMxidAge)) {
    notes.push(
      'does not accept connections: autovacuum freezes it by itself (it is normally all frozen, so that is quick). ' +
        `ALLOW_CONNECTIONS needs a new XID, so outside the stop zone only: ALTER DATABASE ${quoteIdent(db.datname)} ALLOW_CONNECTIONS true;`,
    );
  }
  if (planned.some((r) => r.lockedBy)) notes.push('some of its relations are locked: their VACUUM waits (lock_timeout), is retried once at the end, and is reported if it still cannot run');
  const reachesTarget = reach.age <= inputs.targetXidAge;
  const stopAge = limits.xid.stop;
  const leavesStopZone = reach.age < stopAge;
  const end = (rels: PlannedRelation[]) => rels.reduce((max, r) => Math.max(max, r.endsAt), 0);
  return {
    name: db.datname,
    xidAge: db.xid_age,
    mxidAge: db.mxid_age,
    zone: zoneOf(db.xid_age, limits.xid),
    mxidZone: zoneOf(db.mxid_age, limits.mxid),
    allowsConnections: db.datallowconn,
    relations: planned.length,
    pagesToScan: planned.reduce((sum, r) => sum + r.pagesToScan, 0),
    reachableXidAge: reachesTarget ? null : reach.age,
    heldBy: reachesTarget ? undefined : reach.heldBy,
    reachesTarget,
    leavesStopZone,
    underTargetAt: reachesTarget ? end(planned) : undefined,
    outOfStopZoneAt: db.xid_age >= stopAge && leavesStopZone ? end(planned.filter((r) => r.xidAge >= stopAge)) : undefined,
    notes,
  };
}
