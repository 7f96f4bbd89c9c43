import { EventEmitter } from 'node:events';
import type { PoolHolder } from './errors.js';

/** What the library reports about one checked-out client or open transaction. */
export interface LeaseInfo {
  /** Process-unique id of this checkout. */
  id: number;
  kind: 'transaction' | 'client';
  /** The server backend's pid: join it to pg_stat_activity.pid. */
  backendPid: number | undefined;
  app: string;
  /** file:line that opened it. */
  origin: string;
  route: string | undefined;
  job: string | undefined;
  traceparent: string | undefined;
  /** ISO time it was checked out. */
  startedAt: string;
  ageMs: number;
  /** "active" while a statement runs, "idle" between statements (idle in transaction for a transaction). */
  state: 'active' | 'idle';
  /** ISO time the last statement ended (or the checkout, if none ran); undefined while active. */
  idleSince: string | undefined;
  idleMs: number;
  /** True while the holder waits for another client of the same pool. */
  waitingForPool: boolean;
  /** The stack that opened it. */
  stack: string;
}

/** A transaction about to be run again. */
export interface RetryInfo {
  /** The attempt that failed (1 for the first run). */
  attempt: number;
  /** Its SQLSTATE, e.g. "40001"; undefined when a `retryIf` retried an error that has none. */
  code: string | undefined;
  error: unknown;
  delayMs: number;
  elapsedMs: number;
  origin: string;
}

/** Everything the library reports, by event name. */
export interface LibraryEvents {
  retry: [RetryInfo];
  'long-transaction': [LeaseInfo];
  'transaction-killed': [LeaseInfo & { reason: string }];
  'pool-deadlock': [{ holders: PoolHolder[]; waiterOrigin: string; waiterStack: string }];
  'pool-starvation': [{ waiting: number; total: number; starvedMs: number; holders: PoolHolder[] }];
  'rollback-failed': [{ lease: LeaseInfo; error: unknown; rollbackError: unknown }];
  'commit-outcome-unknown': [{ lease: LeaseInfo; error: unknown }];
  crash: [{ reason: string; error: unknown; transactions: LeaseInfo[] }];
}

/** Subscribe here to feed metrics, alerts or your own logs. Listeners must not throw. */
export const events = new EventEmitter<LibraryEvents>();

/** Where the library writes its one-line reports (details as a second argument). */
export interface Logger {
  warn(message: string, details?: object): void;
  error(message: string, details?: object): void;
}

/** Default logger: one line on stderr, the stack on the following lines. */
export const consoleLogger: Logger = {
  warn: (message, details) => console.warn(line(message, details)),
  error: (message, details) => console.error(line(message, details)),
};

function line(message: string, details?: object): string {
  const stack = details && 'stack' in details && typeof details.stack === 'string' ? `\n${details.stack}` : '';
  return `[mvcc-doctor/pg] ${message}${stack}`;
}
