import type { HorizonHolder } from '../mvcc/horizon-holders.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import { describeHolder } from '../mvcc/horizon-holders.js';
import { releaseOf, rollbackPreparedSteps, type ReleaseAction } from '../mvcc/holder-release.js';
import type { PlanInputs } from './plan-sql.js';

/** What `--release-blockers` does about a blocker; "none": it is only named (a standby, an active slot, a lock without a snapshot). */
export type { ReleaseAction } from '../mvcc/holder-release.js';

/** Something that keeps the freeze from reaching the target: it holds the horizon back, or locks a relation to freeze. */
export interface Blocker {
  /** Stable: "pid:123", "gid:…", "slot:…", "standby:…". */
  id: string;
  kind: 'session' | 'prepared-transaction' | 'replication-slot' | 'standby';
  description: string;
  /** The database it lives in (a prepared transaction can only be rolled back there). */
  database?: string;
  /** How far it holds the horizon back, when it does. */
  xids?: number;
  /** Why it is a blocker, one sentence each. */
  why: string[];
  action: ReleaseAction;
  /** The SQL the release runs, or what a person must do for action "none". */
  steps: string[];
  /** `database/oid` of the relations to freeze it locks. */
  locks?: string[];
  /** What the release checks again right before acting, so it never hits something else. */
  identity: { pid?: number; backendXid?: string | null; backendXmin?: string | null; gid?: string; xid?: string; slot?: string; slotDatabase?: string | null };
}

/**
 * The blockers of a freeze to `inputs.targetXidAge`: every horizon holder older than the target (each caps
 * every database's datfrozenxid, through the shared catalogs at least), and every session or prepared
 * transaction holding a lock that a VACUUM of a planned relation would wait for.
 */
export function blockersOf(holders: HorizonHolder[], inputs: PlanInputs): Blocker[] {
  const byId = new Map<string, Blocker>();
  const add = (blocker: Blocker) => {
    const known = byId.get(blocker.id);
    if (!known) return void byId.set(blocker.id, blocker);
    known.why.push(...blocker.why);
    known.locks = [...(known.locks ?? []), ...(blocker.locks ?? [])];
  };
  for (const h of holders) {
    if (h.xids <= inputs.targetXidAge) continue;
    add(fromHolder(h, `holds the xmin horizon ${formatCount(h.xids)} XIDs back: no database can get younger than that while it stays`));
  }
  const activity = new Map((inputs.snapshot.activity ?? []).map((a) => [a.pid, a]));
  for (const [database, locks] of Object.entries(inputs.locks)) {
    const planned = new Map((inputs.relations[database] ?? []).map((r) => [r.oid, qualified(r.schema, r.name)]));
    for (const lock of locks) {
      const relation = planned.get(lock.oid);
      if (!relation || lock.backend_type === 'autovacuum worker') continue;
      const why = `holds ${lock.mode} on ${relation} in "${database}": its VACUUM cannot start until that is gone`;
      const key = `${database}/${lock.oid}`;
      if (lock.pid === null && lock.gid !== null) {
        const prepared = inputs.snapshot.prepared?.find((p) => p.gid === lock.gid);
        add({
          id: `gid:${lock.gid}`,
          kind: 'prepared-transaction',
          description: `prepared transaction '${lock.gid}' in database "${prepared?.database ?? database}"`,
          database: prepared?.database ?? database,
          xids: prepared?.xid_age,
          why: [why],
          action: 'rollback-prepared',
          steps: rollbackPreparedSteps(prepared?.database ?? database, lock.gid),
          locks: [key],
          identity: { gid: lock.gid, xid: prepared?.xid },
        });
      } else if (lock.pid !== null) {
        const session = activity.get(lock.pid);
        const pins = Boolean(session?.backend_xid || session?.backend_xmin);
        add({
          id: `pid:${lock.pid}`,
          kind: 'session',
          description: `session pid ${lock.pid}${session?.application_name ? ` (application "${session.application_name}")` : ''}`,
          database,
          xids: pins ? Math.max(session!.xid_age ?? -1, session!.xmin_age ?? -1) : undefined,
          why: [why],
          // Only a session that pins the horizon is ended; one that merely holds a lock is named, for a person to decide.
          action: pins ? 'terminate' : 'none',
          steps: pins
            ? [`SELECT pg_terminate_backend(${lock.pid});  -- its transaction rolls back`]
            : [`-- pid ${lock.pid} holds no snapshot; find out what it is before ending it: SELECT pg_terminate_backend(${lock.pid});`],
          locks: [key],
          identity: { pid: lock.pid, backendXid: session?.backend_xid, backendXmin: session?.backend_xmin },
        });
      }
    }
  }
  return [...byId.values()].sort((a, b) => (b.xids ?? -1) - (a.xids ?? -1));
}

function fromHolder(h: HorizonHolder, why: string): Blocker {
  const { action, steps } = releaseOf(h);
  const base = { description: describeHolder(h), database: h.database, xids: h.xids, why: [why], action, steps };
  switch (h.kind) {
    case 'session': {
      const s = h.session!;
      return { ...base, id: `pid:${s.pid}`, kind: 'session', identity: { pid: s.pid, backendXid: s.backend_xid, backendXmin: s.backend_xmin } };
    }
    case 'prepared-transaction': {
      const p = h.prepared!;
      return { ...base, id: `gid:${p.gid}`, kind: 'prepared-transaction', identity: { gid: p.gid, xid: p.xid } };
    }
    case 'replication-slot': {
      const slot = h.slot!;
      return { ...base, id: `slot:${slot.slot_name}`, kind: 'replication-slot', identity: { slot: slot.slot_name, slotDatabase: slot.database } };
    }
    case 'standby': {
      const st = h.standby!;
      return { ...base, id: `standby:${st.application_name || st.pid}`, kind: 'standby', identity: {} };
    }
  }
}
