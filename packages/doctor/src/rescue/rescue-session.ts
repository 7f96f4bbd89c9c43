import { startupSettings, type SessionOptions } from '../connect/safe-session.js';

/**
 * How every session of the rescue starts: no statement_timeout (a VACUUM of a large table takes what it
 * takes), a short lock_timeout (a relation someone else has locked fails fast with 55P03 instead of
 * queueing), and vacuum_cost_delay 0 (manual VACUUM already defaults to it, but a role or database setting
 * may have changed it).
 */
export function rescueSessionOptions(lockTimeoutMs: number): SessionOptions {
  return { statementTimeoutMs: 0, lockTimeoutMs, settings: { vacuum_cost_delay: '0', idle_in_transaction_session_timeout: '0' } };
}

/** The same settings as SQL a person could type, for the printed plan. */
export function rescueSessionSql(lockTimeoutMs: number): string[] {
  return Object.entries(startupSettings(rescueSessionOptions(lockTimeoutMs))).map(([name, value]) => `SET ${name} = '${value}';`);
}
