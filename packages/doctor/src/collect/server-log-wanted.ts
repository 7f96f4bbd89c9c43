import type { Snapshot } from './snapshot.js';

/** Rollbacks from which the log's serialization failures are worth reading. */
const ROLLBACKS_WORTH_READING = 1000;

/** Why the server log is worth reading. */
export interface ServerLogWanted {
  /** A database counts deadlocks (pg_stat_database): their details are only in the log. */
  deadlocks: boolean;
}

/**
 * Whether the log has something to add: a database that counts deadlocks has their details there, and one with many
 * rollbacks the serialization failures among them (PostgreSQL counts those nowhere else). Undefined: not worth it,
 * and the log reader is not even loaded (it is most of the modules a check would load).
 */
export function serverLogWanted(snapshot: Snapshot): ServerLogWanted | undefined {
  const deadlocks = (snapshot.databases ?? []).some((d) => (d.deadlocks ?? 0) > 0);
  const rollbacks = (snapshot.databases ?? []).some((d) => (d.xact_rollback ?? 0) >= ROLLBACKS_WORTH_READING);
  return deadlocks || rollbacks ? { deadlocks } : undefined;
}
