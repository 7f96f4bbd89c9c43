import type { ActivityRow, PreparedRow, SlotRow, StandbyRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';

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
   * "cluster": every database (sessions hold their own database and shared catalogs, but a physical slot or
   * standby holds all); "database": only `database`; "catalog": only system catalogs (a logical slot's catalog_xmin).
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
    if (s.xmin && s.xmin_age !== null) {
      holders.push({ kind: 'replication-slot', label: `slot ${s.slot_name}`, xmin: s.xmin, xids: s.xmin_age, seconds: s.inactive_seconds ?? undefined, reach: 'cluster', slot: s });
    } else if (s.catalog_xmin && s.catalog_xmin_age !== null) {
      holders.push({ kind: 'replication-slot', label: `slot ${s.slot_name}`, xmin: s.catalog_xmin, xids: s.catalog_xmin_age, seconds: s.inactive_seconds ?? undefined, reach: 'catalog', database: s.database ?? undefined, slot: s });
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

/** Whether a holder keeps dead tuples of user tables in `database` from removal. */
export function holdsDatabase(holder: HorizonHolder, database: string): boolean {
  if (holder.reach === 'cluster') return true;
  if (holder.reach === 'catalog') return false;
  return holder.database === database;
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

/** The SQL that releases a holder, safest first. */
export function releaseSteps(holder: HorizonHolder): string[] {
  switch (holder.kind) {
    case 'session': {
      const pid = holder.session!.pid;
      const active = holder.session!.state === 'active';
      return active
        ? [`SELECT pg_cancel_backend(${pid});  -- cancel the statement first`, `SELECT pg_terminate_backend(${pid});  -- then end the session if it stays`]
        : [`SELECT pg_terminate_backend(${pid});  -- ends the session; its transaction rolls back`];
    }
    case 'prepared-transaction': {
      const p = holder.prepared!;
      return [`-- in database "${p.database}", once the transaction manager confirms it is abandoned:\nROLLBACK PREPARED '${p.gid.replace(/'/g, "''")}';`];
    }
    case 'replication-slot': {
      const s = holder.slot!;
      return [`SELECT pg_drop_replication_slot('${s.slot_name.replace(/'/g, "''")}');  -- after confirming its consumer is gone`];
    }
    case 'standby':
      return [`-- on standby "${holder.standby!.application_name}": end its long queries, or set hot_standby_feedback = off there`];
  }
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
