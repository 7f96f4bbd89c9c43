import { eventLoopDelayP99Ms } from './event-loop-delay.js';
import { poolTotals } from './pool-tracker.js';
import { transactionCounts } from './transaction-counts.js';

/**
 * The process's health beside its open transactions, so `mvcc-doctor serve` puts the app on the database's timeline.
 * The field names are a contract with the doctor (packages/doctor/src/app/app-registry.ts `AppTelemetry`).
 */
export interface Telemetry {
  /** V8 heap in use (process.memoryUsage().heapUsed). */
  heapUsedBytes: number;
  /** Resident set size of the process. */
  rssBytes: number;
  /**
   * 99th percentile of the event loop's delay since the previous registry read (by any reader), in ms, sampled every
   * 20 ms. Absent on the first read, which starts the sampling, and when reads come less than 20 ms apart.
   */
  eventLoopDelayP99Ms?: number;
  /** Clients of the pools handed to withTransaction()/checkout(), summed; absent when no such pool (with pg-pool's counters) is alive. */
  pool?: {
    /** Clients open: idle plus checked out (pg-pool's totalCount). */
    total: number;
    /** Clients open and not checked out (idleCount). */
    idle: number;
    /** Callers queued for a client (waitingCount). */
    waiting: number;
  };
  /** withTransaction() outcomes since the process started; monotonic. */
  transactions: {
    /** Transactions that committed. */
    committed: number;
    /** Attempts that ended rolled back (the app threw, COMMIT was refused or answered ROLLBACK, the connection was lost), retried ones included. */
    'rolled-back': number;
    /** Attempts run again after a retryable SQLSTATE (40001, 40P01, …). */
    retried: number;
    /** withTransaction() calls that rejected in the end: retries exhausted, a non-retryable error, COMMIT outcome unknown. */
    failed: number;
  };
}

/** Read the telemetry now. Starts the event-loop sampling on first use, and starts a new delay window on every call. */
export function readTelemetry(): Telemetry {
  const memory = process.memoryUsage();
  const delay = eventLoopDelayP99Ms();
  const pool = poolTotals();
  return {
    heapUsedBytes: memory.heapUsed,
    rssBytes: memory.rss,
    ...(delay === undefined ? {} : { eventLoopDelayP99Ms: delay }),
    ...(pool === undefined ? {} : { pool }),
    transactions: {
      committed: transactionCounts.committed,
      'rolled-back': transactionCounts.rolledBack,
      retried: transactionCounts.retried,
      failed: transactionCounts.failed,
    },
  };
}
