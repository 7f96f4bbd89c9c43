import { qualified } from '../report/sql-text.js';
import { zoneOf, type AgeLimits, type Zone } from '../mvcc/wraparound-limits.js';
import type { Blocker } from './blockers.js';
import type { FreezePlan, PlannedRelation } from './freeze-plan.js';
import type { LockRow, PlanInputs, RelationRow } from './plan-sql.js';

/** Zones in the order they are left, most urgent first; "ok" is over the target but under autovacuum_freeze_max_age. */
export const TIERS: Zone[] = ['stop', 'warn', 'failsafe', 'autovacuum', 'ok'];
/** Connection, catalog and datfrozenxid update: what one VACUUM costs besides its pages. */
const PER_RELATION_SECONDS = 0.005;
/** Below this many pages a VACUUM takes less than opening a session to another database does. */
export const SMALL_PAGES = 256;

export type Candidate = Omit<PlannedRelation, 'startsAt' | 'endsAt'>;

/** Who locks what, by `database/oid`: every lock that makes a VACUUM wait, and those of blockers (held until released). */
export function lockIndex(blockers: readonly Blocker[], locks: Record<string, LockRow[]>): { lockedBy: Map<string, string>; blockedBy: Map<string, string> } {
  const lockedBy = new Map<string, string>();
  // Locks of blockers hold a relation at its age until released; autovacuum's locks pass by themselves.
  const blockedBy = new Map<string, string>();
  for (const b of blockers) {
    for (const key of b.locks ?? []) {
      lockedBy.set(key, b.description);
      blockedBy.set(key, b.description);
    }
  }
  for (const [database, rows] of Object.entries(locks)) {
    for (const l of rows) {
      if (l.backend_type === 'autovacuum worker') lockedBy.set(`${database}/${l.oid}`, `autovacuum (pid ${l.pid}), which is vacuuming it now`);
    }
  }
  return { lockedBy, blockedBy };
}

/** Every relation over the target as a VACUUM to run, and those no VACUUM of ours can freeze. */
export function candidatesOf(
  inputs: PlanInputs,
  limits: { xid: AgeLimits; mxid: AgeLimits },
  lockedBy: ReadonlyMap<string, string>,
  emergency: boolean,
): { candidates: Candidate[]; cannotFreeze: FreezePlan['cannotFreeze'] } {
  const cannotFreeze: FreezePlan['cannotFreeze'] = [];
  const candidates: Candidate[] = [];
  for (const [database, rows] of Object.entries(inputs.relations)) {
    for (const row of rows) {
      const relation = qualified(row.schema, row.name);
      if (row.persistence === 't') {
        cannotFreeze.push({ database, relation, xidAge: row.xid_age, reason: 'a temporary table: only the session that made it can vacuum it (ending that session drops it)' });
        continue;
      }
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
        tier: worseZone(zoneOf(row.xid_age, limits.xid), zoneOf(row.mxid_age, limits.mxid)),
        sql: vacuumSql(relation, emergency),
        lockedBy: lockedBy.get(`${database}/${row.oid}`),
      });
    }
  }
  return { candidates, cannotFreeze };
}

/**
 * The order of the VACUUMs. Zone by zone, so each zone is left as early as possible; within a zone oldest first,
 * the incident's rule: every relation done lowers its database's age at once (datfrozenxid is recomputed after
 * each VACUUM). A relation whose database stays in its zone anyway (`capped`: a holder keeps it there) cannot
 * take it out: it goes after those that can, so the databases that can leave a zone leave it first. One a
 * blocker locks would only wait for its lock_timeout: it goes last of all. Small relations (catalogs, mostly)
 * cost less than a new connection: they come last in their zone, grouped by database, oldest first.
 */
export function orderCandidates(candidates: Candidate[], blockedBy: ReadonlyMap<string, string>, capped: (r: Candidate) => boolean): Candidate[] {
  const small = (r: Candidate) => r.pagesToScan < SMALL_PAGES;
  const blocked = (r: Candidate) => blockedBy.has(`${r.database}/${r.oid}`);
  return [...candidates].sort(
    (a, b) =>
      Number(blocked(a)) - Number(blocked(b)) ||
      TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier) ||
      Number(capped(a)) - Number(capped(b)) ||
      Number(small(a)) - Number(small(b)) ||
      (small(a) ? compareText(a.database, b.database) : 0) ||
      b.xidAge - a.xidAge ||
      b.mxidAge - a.mxidAge ||
      b.pagesToScan - a.pagesToScan,
  );
}

/** List scheduling on `jobs` workers in plan order: when each VACUUM would start and end. */
export function schedule(relations: Candidate[], jobs: number, pagesPerSecond: number): PlannedRelation[] {
  const free = Array.from({ length: jobs }, () => 0);
  return relations.map((r) => {
    const worker = free.indexOf(Math.min(...free));
    const startsAt = free[worker]!;
    const endsAt = startsAt + PER_RELATION_SECONDS + r.pagesToScan / pagesPerSecond;
    free[worker] = endsAt;
    return { ...r, startsAt, endsAt };
  });
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
