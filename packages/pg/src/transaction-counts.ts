/**
 * Transactions run through withTransaction() since the process started, by outcome. Plain increments on the
 * transaction path (no allocation, no event, no timer); the registry handler copies them when read. Savepoints
 * (nested withTransaction) are not transactions and are not counted.
 */
export const transactionCounts = {
  /** COMMIT succeeded. */
  committed: 0,
  /** Attempts that ended rolled back: by ROLLBACK, by COMMIT refused or answering ROLLBACK, or by a lost connection. */
  rolledBack: 0,
  /** Attempts run again after a retryable SQLSTATE (40001, 40P01, …). */
  retried: 0,
  /** withTransaction() calls that rejected in the end (retries exhausted, a non-retryable error, COMMIT outcome unknown). */
  failed: 0,
};
