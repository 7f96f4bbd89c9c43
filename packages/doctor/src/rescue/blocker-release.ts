import type { ConnOptions } from '../connect/conn-options.js';
import type { Blocker } from './blockers.js';
import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import { pgErrorOf } from '../connect/pg-error.js';
import { openSession, type Session } from '../connect/safe-session.js';
import { rescueSessionOptions } from './rescue-session.js';

/** What happened to one blocker. */
export interface ReleaseResult {
  blocker: Blocker;
  /** "released"; "gone": it had ended by itself; "changed": it is no longer what the plan showed, so it was left alone; "named": action none; "failed". */
  status: 'released' | 'gone' | 'changed' | 'named' | 'failed';
  message: string;
}

export interface ReleaseOptions {
  lockTimeoutMs: number;
  /** How long to wait for a terminated session to be gone, in ms. Default 5000. */
  terminateWaitMs?: number;
}

/**
 * Release the blockers of a plan, and only those: each is checked again right before (same pid and XID,
 * same prepared XID, slot still inactive), so nothing the plan did not show is touched. Sessions are
 * terminated, prepared transactions rolled back in their own database, inactive slots dropped; standbys
 * and active slots are only named. None of it needs a new XID.
 */
export async function releaseBlockers(conn: ConnOptions, blockers: Blocker[], options: ReleaseOptions): Promise<ReleaseResult[]> {
  const sessions = new Map<string, Session>();
  const sessionIn = async (database: string) => {
    let session = sessions.get(database);
    if (!session || session.broken) {
      session = await openSession(conn, database, rescueSessionOptions(options.lockTimeoutMs));
      sessions.set(database, session);
    }
    return session;
  };
  const results: ReleaseResult[] = [];
  try {
    for (const blocker of blockers) {
      try {
        results.push(await releaseOne(blocker, sessionIn, conn.database, options));
      } catch (error) {
        const e = pgErrorOf(error);
        results.push({ blocker, status: 'failed', message: `${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}` });
      }
    }
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.close()));
  }
  return results;
}

async function releaseOne(
  blocker: Blocker,
  sessionIn: (database: string) => Promise<Session>,
  entry: string,
  options: ReleaseOptions,
): Promise<ReleaseResult> {
  const id = blocker.identity;
  switch (blocker.action) {
    case 'none':
      return { blocker, status: 'named', message: 'left to you (see the plan)' };
    case 'terminate': {
      const session = await sessionIn(entry);
      const [row] = await session.query<{ xid: string | null; xmin: string | null }>(
        'SELECT backend_xid::text AS xid, backend_xmin::text AS xmin FROM pg_stat_activity WHERE pid = $1',
        [id.pid],
      );
      if (!row) return { blocker, status: 'gone', message: `pid ${id.pid} has already ended` };
      if ((id.backendXid && row.xid !== id.backendXid) || (!row.xid && !row.xmin && (id.backendXid || id.backendXmin))) {
        return { blocker, status: 'changed', message: `pid ${id.pid} is no longer in the transaction the plan showed; left alone` };
      }
      const [ok] = await session.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [id.pid]);
      if (!ok?.ok) return { blocker, status: 'failed', message: `pg_terminate_backend(${id.pid}) returned false` };
      const deadline = Date.now() + (options.terminateWaitMs ?? 5_000);
      while (Date.now() < deadline) {
        const still = await session.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [id.pid]);
        if (still.length === 0) return { blocker, status: 'released', message: `terminated pid ${id.pid}` };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { blocker, status: 'failed', message: `pid ${id.pid} was signalled but is still there after ${options.terminateWaitMs ?? 5_000} ms` };
    }
    case 'rollback-prepared': {
      // Only in its own database can a prepared transaction be finished.
      const session = await sessionIn(blocker.database ?? entry);
      const [row] = await session.query<{ xid: string }>('SELECT transaction::text AS xid FROM pg_prepared_xacts WHERE gid = $1', [id.gid]);
      if (!row) return { blocker, status: 'gone', message: `prepared transaction '${id.gid}' is already finished` };
      if (id.xid && row.xid !== id.xid) return { blocker, status: 'changed', message: `gid '${id.gid}' now names another transaction (${row.xid}); left alone` };
      await session.query(`ROLLBACK PREPARED ${quoteLiteral(id.gid!)}`);
      return { blocker, status: 'released', message: `rolled back prepared transaction '${id.gid}' in database "${blocker.database}"` };
    }
    case 'drop-slot': {
      const session = await sessionIn(id.slotDatabase ?? entry);
      const [row] = await session.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [id.slot]);
      if (!row) return { blocker, status: 'gone', message: `slot "${id.slot}" no longer exists` };
      if (row.active) return { blocker, status: 'changed', message: `slot "${id.slot}" is in use again; left alone` };
      await session.query('SELECT pg_drop_replication_slot($1)', [id.slot]);
      return { blocker, status: 'released', message: `dropped replication slot "${id.slot}"` };
    }
  }
}
