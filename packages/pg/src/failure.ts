import type { Config } from './config.js';
import { events } from './events.js';
import type { Lease } from './lease.js';
import { tag, type Tagging } from './transaction-client.js';

/** After FATAL or PANIC the server closes the session: nothing more can be sent, and it has rolled back. */
export function connectionGone(lease: Lease, error: unknown): boolean {
  if (lease.connectionError || lease.killedBecause) return true;
  const severity = (error as { severity?: unknown } | null)?.severity;
  return severity === 'FATAL' || severity === 'PANIC';
}

/** The server answered with an ERROR and kept the session: the statement (or COMMIT) definitely failed. */
export function refusedByServer(error: unknown): boolean {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  if (severity !== undefined) return severity === 'ERROR';
  return !code.startsWith('08') && !code.startsWith('57P');
}

/** Keep the original error; put the rollback's failure beside it, never in its place. */
export function attachRollbackError(error: unknown, rollbackError: unknown): void {
  attach(error, 'rollbackError', rollbackError);
}

/** On the error withTransaction finally rejects with: how many attempts ran, and the SQLSTATEs they failed with. */
export function attachAttempts(error: unknown, attempts: number, sqlstates: readonly string[]): void {
  attach(error, 'attempts', attempts);
  attach(error, 'sqlstates', sqlstates);
}

function attach(error: unknown, key: string, value: unknown): void {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return;
  try {
    Object.defineProperty(error, key, { value, enumerable: true, configurable: true, writable: true });
  } catch {
    // a hostile getter/proxy: the event and the log line still report it
  }
}

/**
 * A transaction failed before COMMIT: roll back and release, or destroy the client when the connection is gone or
 * the rollback fails (a session in an unknown state must not go back to the pool). Returns the error to rethrow.
 */
export async function rollbackAndRelease(lease: Lease, error: unknown, tagging: Tagging, settings: Config): Promise<unknown> {
  if (connectionGone(lease, error)) {
    lease.release(new Error('connection lost during the transaction'));
    return error;
  }
  try {
    await lease.run(tag('ROLLBACK', tagging));
    lease.release();
  } catch (rollbackError) {
    attachRollbackError(error, rollbackError);
    const info = lease.info();
    events.emit('rollback-failed', { lease: info, error, rollbackError });
    settings.logger.error(`ROLLBACK failed for the transaction opened at ${info.origin} (backend pid ${info.backendPid}); client destroyed`, {
      stack: info.stack,
    });
    lease.release(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)));
  }
  return error;
}
