import { setTimeout as sleep } from 'node:timers/promises';
import { hasBeginOptions, type BeginOptions } from './begin-sql.js';
import { retryDecision, type RetryOptions } from './backoff.js';
import { acquire, newLease } from './checkout.js';
import { config, mergeRetry, type Config } from './config.js';
import { currentStore, runHolding, type Store } from './context.js';
import { CommitOutcomeUnknownError, TransactionKilledError, TransactionRolledBackError } from './errors.js';
import { events, type RetryInfo } from './events.js';
import { refusedByServer, rollbackAndRelease } from './failure.js';
import type { Lease } from './lease.js';
import { captureOpening, namedOpening, type Opening } from './origin.js';
import { withSavepoint } from './savepoint.js';
import { endClient, isTransactionClient, TransactionClient } from './transaction-client.js';
import { transactionCounts } from './transaction-counts.js';
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
   * Name the origin yourself (e.g. "orders.create"): no stack is captured, which saves its cost (~25 µs per
   * transaction) on hot paths; reports then have no opening stack. Default: the caller's file:line.
   */
  origin?: string;
}

const NO_OPTIONS: TransactionOptions = Object.freeze({});

/**
 * Run `fn` in a transaction on a client of `pool`: BEGIN (with the tag, same round trip), COMMIT when `fn`
 * resolves, ROLLBACK and rethrow the original error when it throws; the whole transaction is run again on the
 * configured SQLSTATEs (40001, 40P01). Given a transaction client instead of a pool, `fn` runs in a savepoint.
 * `fn` may run more than once: keep side effects outside the database out of it.
 */
export function withTransaction<T>(
  pool: PoolLike | TransactionClient,
  fn: (tx: TransactionClient) => Promise<T> | T,
  options: TransactionOptions = NO_OPTIONS,
): Promise<T> {
  // Not async itself, so the caller awaits the transaction's own promise (one promise and one microtask hop fewer);
  // the stack is still captured synchronously, in the caller's call. Every error still rejects, none throws.
  try {
    if (isTransactionClient(pool)) {
      if (hasBeginOptions(options)) {
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
    const tags = transactionTags(app, opening.origin, store.context, settings, options);
    return run(pool, fn, options, { tags, opening, store, settings, app });
  } catch (error) {
    return Promise.reject(error);
  }
}

interface Transaction {
  tags: TransactionTags;
  opening: Opening;
  store: Store;
  settings: Config;
  app: string;
}

/**
 * The attempts, each BEGIN … COMMIT inline in this one async function (no async call per attempt: each one would
 * add a promise and a microtask hop to every transaction).
 */
async function run<T>(pool: PoolLike, fn: (tx: TransactionClient) => Promise<T> | T, options: TransactionOptions, transaction: Transaction): Promise<T> {
  const { tags, opening, store, settings } = transaction;
  const started = Date.now();
  let retry: Readonly<RetryOptions> | false | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const lease = newLease('transaction', pool, await acquire(pool, opening, store, settings), opening, store.context, transaction.app);
      const tx = new TransactionClient(lease, tags.tagging, 0);
      let value: T;
      try {
        await lease.run(tags.begin);
        // Holding the lease in async context is what lets a nested request for the same pool be recognised.
        value = await (settings.starvation === 'off' ? fn(tx) : runHolding(store, lease, fn, tx));
        endClient(tx);
        // Died before COMMIT was sent: the server has rolled back, and that is certain.
        if (lease.killedBecause) throw new TransactionKilledError(opening.origin, lease.killedBecause);
        if (lease.connectionError) throw lease.connectionError;
      } catch (error) {
        endClient(tx);
        const original = await rollbackAndRelease(lease, error, tags.tagging, settings);
        // Rolled back by us, or by the server when the session ended (lost, or destroyed after a failed ROLLBACK).
        transactionCounts.rolledBack++;
        throw original;
      }
      let command: string;
      try {
        command = (await lease.run(tags.commit)).command;
      } catch (error) {
        throw commitFailed(lease, error, opening, settings);
      }
      lease.release();
      if (command === 'ROLLBACK') {
        transactionCounts.rolledBack++;
        throw new TransactionRolledBackError(opening.origin, lease.lastError);
      }
      transactionCounts.committed++;
      return value;
    } catch (error) {
      const elapsedMs = Date.now() - started;
      retry ??= mergeRetry(settings.retry, options.retry);
      const decision = retryDecision(error, attempt, elapsedMs, retry);
      if (!decision.retry) {
        transactionCounts.failed++;
        throw error;
      }
      transactionCounts.retried++;
      const info: RetryInfo = { attempt, code: decision.code, error, delayMs: decision.delayMs, elapsedMs, origin: opening.origin };
      settings.onRetry?.(info);
      options.onRetry?.(info);
      events.emit('retry', info);
      await sleep(decision.delayMs);
    }
  }
}

/** COMMIT failed: a refusal by the server is a known rollback; a lost connection leaves the outcome unknown. */
function commitFailed(lease: Lease, error: unknown, opening: Opening, settings: Config): unknown {
  if (refusedByServer(error) && !lease.connectionError) {
    // COMMIT answered with an ERROR (deferred constraint, serialization failure): rolled back, session fine.
    transactionCounts.rolledBack++;
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
