import { setTimeout as sleep } from 'node:timers/promises';
import { beginSql, type BeginOptions } from './begin-sql.js';
import { retryDecision, type RetryOptions } from './backoff.js';
import { acquire } from './checkout.js';
import { config, mergeRetry, type Config } from './config.js';
import { currentStore, runHolding, type Store } from './context.js';
import { CommitOutcomeUnknownError, TransactionKilledError, TransactionRolledBackError } from './errors.js';
import { events, type RetryInfo } from './events.js';
import { refusedByServer, rollbackAndRelease } from './failure.js';
import type { Lease } from './lease.js';
import { captureOpening, namedOpening, type Opening } from './origin.js';
import { withSavepoint } from './savepoint.js';
import { endClient, isTransactionClient, tag, TransactionClient } from './transaction-client.js';
import { transactionTags, type TransactionTags } from './transaction-tags.js';
import type { PoolLike } from './types.js';

/** How one transaction runs (the BEGIN options, plus per-transaction overrides of `configure()`). */
export interface TransactionOptions extends BeginOptions {
  /** Application name in this transaction's tags. */
  app?: string;
  /** Retry for this transaction: false turns it off; fields given override the configured ones. */
  retry?: Partial<RetryOptions> | false;
  /** Called before each retry's backoff, after the configured `onRetry`. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Name the origin yourself (e.g. "orders.create"): no stack is captured, which saves its cost (~10-30 µs per
   * transaction) on hot paths; reports then have no opening stack. Default: the caller's file:line.
   */
  origin?: string;
}

const BEGIN_KEYS = ['isolationLevel', 'readOnly', 'deferrable', 'statementTimeout', 'lockTimeout', 'idleInTransactionSessionTimeout'] as const;

/**
 * Run `fn` in a transaction on a client of `pool`: BEGIN (with the tag, same round trip), COMMIT when `fn`
 * resolves, ROLLBACK and rethrow the original error when it throws; the whole transaction is run again on the
 * configured SQLSTATEs (40001, 40P01). Given a transaction client instead of a pool, `fn` runs in a savepoint.
 * `fn` may run more than once: keep side effects outside the database out of it.
 */
export async function withTransaction<T>(
  pool: PoolLike | TransactionClient,
  fn: (tx: TransactionClient) => Promise<T> | T,
  options: TransactionOptions = {},
): Promise<T> {
  if (isTransactionClient(pool)) {
    if (BEGIN_KEYS.some((key) => options[key] !== undefined)) {
      throw new TypeError('a savepoint inherits its transaction\'s isolation, access mode and timeouts; pass them to the outermost withTransaction');
    }
    return withSavepoint(pool, fn);
  }
  const settings = config();
  const opening =
    options.origin !== undefined
      ? namedOpening(options.origin)
      : captureOpening(withTransaction, { frames: settings.stackFrames, root: settings.originRoot, ignoreFile: settings.ignoreFile });
  const store = currentStore();
  const app = options.app ?? settings.app;
  const tags = transactionTags(app, opening.origin, store.context, settings);
  const begin = tag(beginSql(options, tags.applicationName), tags.tagging);
  const retry = mergeRetry(settings.retry, options.retry);
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(pool, fn, { begin, tags, opening, store, settings, app });
    } catch (error) {
      const elapsedMs = Date.now() - started;
      const decision = retryDecision(error, attempt, elapsedMs, retry);
      if (!decision.retry) throw error;
      const info: RetryInfo = { attempt, code: decision.code, error, delayMs: decision.delayMs, elapsedMs, origin: opening.origin };
      settings.onRetry?.(info);
      options.onRetry?.(info);
      events.emit('retry', info);
      await sleep(decision.delayMs);
    }
  }
}

interface Attempt {
  begin: string;
  tags: TransactionTags;
  opening: Opening;
  store: Store;
  settings: Config;
  app: string;
}

async function runOnce<T>(pool: PoolLike, fn: (tx: TransactionClient) => Promise<T> | T, attempt: Attempt): Promise<T> {
  const { tags, opening, settings } = attempt;
  const lease = await acquire(pool, 'transaction', opening, attempt.store, settings, attempt.app);
  const tx = new TransactionClient(lease, tags.tagging, 0);
  let value: T;
  try {
    await lease.run(attempt.begin);
    // Holding the lease in async context is what lets a nested request for the same pool be recognised.
    value = await (settings.starvation === 'off' ? fn(tx) : runHolding(attempt.store, lease, () => fn(tx)));
    endClient(tx);
    // Died before COMMIT was sent: the server has rolled back, and that is certain.
    if (lease.killedBecause) throw new TransactionKilledError(opening.origin, lease.killedBecause);
    if (lease.connectionError) throw lease.connectionError;
  } catch (error) {
    endClient(tx);
    throw await rollbackAndRelease(lease, error, tags.tagging, settings);
  }
  let command: string;
  try {
    command = (await lease.run(tag('COMMIT', tags.tagging))).command;
  } catch (error) {
    throw commitFailed(lease, error, opening, settings);
  }
  lease.release();
  if (command === 'ROLLBACK') throw new TransactionRolledBackError(opening.origin, lease.lastError);
  return value;
}

/** COMMIT failed: a refusal by the server is a known rollback; a lost connection leaves the outcome unknown. */
function commitFailed(lease: Lease, error: unknown, opening: Opening, settings: Config): unknown {
  if (refusedByServer(error) && !lease.connectionError) {
    // COMMIT answered with an ERROR (deferred constraint, serialization failure): rolled back, session fine.
    lease.release();
    return error;
  }
  const unknown = new CommitOutcomeUnknownError(opening.origin, lease.backendPid, error);
  const info = lease.info();
  events.emit('commit-outcome-unknown', { lease: info, error: unknown });
  settings.logger.error(unknown.message, { stack: info.stack });
  lease.release(new Error('connection lost during COMMIT'));
  return unknown;
}
