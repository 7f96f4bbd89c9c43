import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import { inDatabase } from '../report/sql-text.js';
import type { HorizonHolder } from './horizon-holders.js';

/** What `freeze run --release-blockers` does about a holder; "none": it is only named (a standby, an active slot). */
export type ReleaseAction = 'terminate' | 'rollback-prepared' | 'drop-slot' | 'none';

/** How a holder is released: the one text `check`'s fixes and `freeze plan`'s blockers both show. */
export interface Release {
  action: ReleaseAction;
  /** The SQL (or what a person must do), safest step first. */
  steps: string[];
  /**
   * How much is lost, lowest first: ending a session loses one transaction its app sees fail; a standby's
   * query is cancelled there; rolling back a prepared transaction may break what its coordinator decided;
   * dropping a slot makes its consumer start over.
   */
  risk: number;
}

const RISK: Record<HorizonHolder['kind'], number> = { session: 0, standby: 1, 'prepared-transaction': 2, 'replication-slot': 3 };

export function releaseOf(holder: HorizonHolder): Release {
  const risk = RISK[holder.kind];
  switch (holder.kind) {
    case 'session': {
      const { pid, state } = holder.session!;
      return {
        action: 'terminate',
        risk,
        steps:
          state === 'active'
            ? [`SELECT pg_cancel_backend(${pid});  -- cancel the statement first`, `SELECT pg_terminate_backend(${pid});  -- then end the session if it stays`]
            : [`SELECT pg_terminate_backend(${pid});  -- ends the session; its transaction rolls back`],
      };
    }
    case 'prepared-transaction': {
      const p = holder.prepared!;
      return { action: 'rollback-prepared', risk, steps: rollbackPreparedSteps(p.database, p.gid) };
    }
    case 'replication-slot': {
      const slot = holder.slot!;
      const drop = `SELECT pg_drop_replication_slot(${quoteLiteral(slot.slot_name)});`;
      return slot.active
        ? { action: 'none', risk, steps: [`-- in use by pid ${slot.active_pid}: stop that consumer (or let it catch up), then: ${drop}`] }
        : { action: 'drop-slot', risk, steps: [`${drop}  -- its consumer must then be set up again`] };
    }
    case 'standby': {
      const st = holder.standby!;
      return {
        action: 'none',
        risk,
        steps: [
          `-- on standby "${st.application_name}"${st.client_addr ? ` (${st.client_addr})` : ''}: its hot_standby_feedback holds the primary's horizon;` +
            ' cancel its long queries there, or set hot_standby_feedback = off on it; this cannot be released from the primary',
        ],
      };
    }
  }
}

/** Only in its own database can a prepared transaction be finished. */
export function rollbackPreparedSteps(database: string, gid: string): string[] {
  return [inDatabase(database, `ROLLBACK PREPARED ${quoteLiteral(gid)};  -- only once its transaction manager has given it up`)];
}

/** Safest release first; among equals, the oldest holder (releasing it moves the horizon furthest). */
export function bySafety(a: HorizonHolder, b: HorizonHolder): number {
  return RISK[a.kind] - RISK[b.kind] || b.xids - a.xids;
}
