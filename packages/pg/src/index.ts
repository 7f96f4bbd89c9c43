export { withTransaction, type TransactionOptions } from './with-transaction.js';
export { TransactionClient } from './transaction-client.js';
export type { BeginOptions, IsolationLevel } from './begin-sql.js';
export { configure, resetConfiguration, type Config, type LibraryOptions } from './config.js';
export { withContext, currentContext, type WorkContext } from './context.js';
export { backoffDelay, sqlstateOf, DEFAULT_RETRY, type RetryOptions } from './backoff.js';
export { checkout, type TrackedClient } from './checkout.js';
export { lockRows, type LockRowsOptions } from './lock-rows.js';
export { openTransactions } from './registry.js';
export { registryHandler, type RegistryBody, type RegistryHandlerOptions } from './registry-handler.js';
export type { Telemetry } from './telemetry.js';
export { startWatchdog, type WatchdogOptions } from './watchdog.js';
export { installCrashHandlers, type CrashHandlerOptions } from './crash-handlers.js';
export { events, consoleLogger, type LeaseInfo, type LibraryEvents, type Logger, type RetryInfo } from './events.js';
export {
  APPLICATION_NAME_MAX_BYTES,
  formatSqlComment,
  formatTag,
  parseSqlComment,
  parseTag,
  type ParsedTag,
  type TagFields,
} from './tags.js';
export { quoteIdent, quoteLiteral } from './quote.js';
export { taggedPool, untaggedPool, type TaggablePool } from './tagged-pool.js';
export {
  AfterCommitError,
  ClientBusyError,
  CommitOutcomeUnknownError,
  ConnectionLostError,
  InvalidOptionError,
  MvccPgError,
  PoolStarvationError,
  TransactionBusyError,
  TransactionControlError,
  TransactionEndedError,
  TransactionKilledError,
  TransactionRolledBackError,
  type MvccPgErrorCode,
  type PoolHolder,
} from './errors.js';
export type { ClientLike, PoolClientLike, PoolLike, QueryCallback, QueryConfigLike, QueryResultLike, SingleClientLike, Submittable } from './types.js';
