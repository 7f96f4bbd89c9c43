import type { ActivityRow, PreparedRow, SlotRow, StandbyRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { releaseOf } from './holder-release.js';

/** Something that keeps VACUUM from removing dead tuples or advancing relfrozenxid. */
export interface HorizonHolder {
  kind: 'session' | 'prepared-transaction' | 'replication-slot' | 'standby';
  /** pid, gid, slot name or standby name. */
  label: string;
  /** The XID it holds back to. */
  xmin: string;
  /** How many XIDs old that is. */
  xids: number;
  /** How long it has held, when known. */
  seconds?: number;
  /**
   * Whose relations it caps: "cluster": every relation of every database (a physical slot's xmin, a standby);
   * "database": every relation of `database`, and the shared catalogs of every other database (a session, a
   * prepared transaction); "catalog": the system catalogs of every database (a logical slot's catalog_xmin).
   * horizon-caps.ts turns this into what it caps of each database.
   */
  reach: 'cluster' | 'database' | 'catalog';
  database?: string;
  session?: ActivityRow;
  prepared?: PreparedRow;
  slot?: SlotRow;
  standby?: StandbyRow;
}

/**
 * Every horizon holder, oldest first. A session pins only when it has backend_xid or backend_xmin; vacuum
 * workers and walsenders are left out (walsender xmins are reported as their standby).
 */
export function horizonHolders(snapshot: Snapshot): HorizonHolder[] {
  const holders: HorizonHolder[] = [];
  for (const a of snapshot.activity ?? []) {
    if (a.backend_type !== 'client backend' && a.backend_type !== null) continue;
    // A backend still connecting holds a catalog snapshot for milliseconds: not a holder to release (it was ours once).
    if (a.state === 'starting') continue;
    const xids = Math.max(a.xid_age ?? -1, a.xmin_age ?? -1);
    if (xids < 0) continue;
    const xmin = (a.xid_age ?? -1) >= (a.xmin_age ?? -1) ? a.backend_xid! : a.backend_xmin!;
    holders.push({
      kind: 'session',
      label: `pid ${a.pid}`,
      xmin,
      xids,
      seconds: a.xact_seconds ?? undefined,
      reach: 'database',
      database: a.datname ?? undefined,
      session: a,
    });
  }
  for (const p of snapshot.prepared ?? []) {
    holders.push({ kind: 'prepared-transaction', label: `gid '${p.gid}'`, xmin: p.xid, xids: p.xid_age, seconds: p.seconds, reach: 'database', database: p.database, prepared: p });
  }
  for (const s of snapshot.slots ?? []) {
    const base = { kind: 'replication-slot' as const, label: `slot ${s.slot_name}`, seconds: s.inactive_seconds ?? undefined, slot: s };
    if (s.xmin && s.xmin_age !== null) holders.push({ ...base, xmin: s.xmin, xids: s.xmin_age, reach: 'cluster' });
    // A slot can hold both: a physical slot fed by a standby that has logical slots of its own. Its catalog_xmin
    // matters only where it is older than its xmin, and then only for the catalogs.
    if (s.catalog_xmin && s.catalog_xmin_age !== null && s.catalog_xmin_age > (s.xmin_age ?? -1)) {
      holders.push({ ...base, xmin: s.catalog_xmin, xids: s.catalog_xmin_age, reach: 'catalog', database: s.database ?? undefined });
    }
  }
  for (const st of snapshot.standbys ?? []) {
    if (st.backend_xmin && st.xmin_age !== null) {
      holders.push({ kind: 'standby', label: `standby ${st.application_name || st.client_addr || st.pid}`, xmin: st.backend_xmin, xids: st.xmin_age, reach: 'cluster', standby: st });
    }
  }
  // Oldest first; on a tie the one that has held longer is the real cause (the others queued up after it).
  return holders.sort((a, b) => b.xids - a.xids || (b.seconds ?? 0) - (a.seconds ?? 0));
}

/** Table lock modes that conflict with (auto)VACUUM's SHARE UPDATE EXCLUSIVE. */
const BLOCKS_VACUUM = new Set(['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']);

/**
 * A prepared transaction of `database` holding a table lock that VACUUM waits for: however young its XID,
 * no freeze of those tables (anti-wraparound autovacuum included) can start until it is gone.
 */
export function blocksVacuumIn(holder: HorizonHolder, database: string): boolean {
  return holder.kind === 'prepared-transaction' && holder.database === database && holder.prepared!.locks.some((l) => l.locktype === 'relation' && BLOCKS_VACUUM.has(l.mode));
}

/** The SQL that releases a holder, safest first (the one text check and freeze plan show). */
export function releaseSteps(holder: HorizonHolder): string[] {
  return releaseOf(holder).steps;
}

/** A holder as findings and plans name it. */
export function describeHolder(h: HorizonHolder): string {
  switch (h.kind) {
    case 'session': {
      const s = h.session!;
      return `session pid ${s.pid} (${s.state ?? 'unknown state'}${s.application_name ? `, application "${s.application_name}"` : ''}${s.usename ? `, user ${s.usename}` : ''})`;
    }
    case 'prepared-transaction':
      return `prepared transaction '${h.prepared!.gid}' in database "${h.database}"`;
    case 'replication-slot':
      return `${h.slot!.active ? 'active' : 'inactive'} ${h.slot!.slot_type} replication slot "${h.slot!.slot_name}"${h.reach === 'catalog' ? ' (catalog_xmin: system catalogs only)' : ''}`;
    case 'standby':
      return `standby "${h.standby!.application_name}" through hot_standby_feedback`;
  }
}
