import { setTimeout as sleep } from 'node:timers/promises';
import type { BeginOptions } from './begin-sql.js';
import { RETRY_SCHEMA, retryDecision, sqlstateOf, type RetryOptions } from './backoff.js';
import { acquire, newLease } from './checkout.js';
import { config, mergeRetry, type Config } from './config.js';
import { currentStore, runHolding, type Store } from './context.js';
import {
  AfterCommitError,
  CommitOutcomeUnknownError,
  ConnectionLostError,
  InvalidOptionError,
  TransactionBusyError,
  TransactionKilledError,
  TransactionRolledBackError,
} from './errors.js';
import { events, type RetryInfo } from './events.js';
import { attachAttempts, refusedByServer, rollbackAndRelease } from './failure.js';
import type { Lease } from './lease.js';
import { namedOpening, openingOf, type Opening } from './origin.js';
import { withSavepoint } from './savepoint.js';
import { isSingleClient, singleClientPool } from './single-client.js';
import { endClient, isTransactionClient, savepointPending, TransactionClient } from './transaction-client.js';
import { transactionCounts } from './transaction-counts.js';
import { transactionTags, type TransactionTags } from './transaction-tags.js';
import type { PoolLike, SingleClientLike } from './types.js';
import {
  describe,
  invalidArgument,
  isBoolean,
  isFalseOr,
  isFunction,
  isMs,
  isNonEmptyString,
  isOneOf,
  validateOptions,
  type Schema,
} from './validate-options.js';

/** How one transaction runs (the BEGIN options, plus per-transaction overrides of `configure()`). */
export interface TransactionOptions<T = unknown> extends BeginOptions {
  /** Application name in this transaction's tags. */
  app?: string;
  /** Retry for this transaction: false turns it off; fields given override the configured ones. */
  retry?: Partial<RetryOptions> | false;
  /** Called before each retry's backoff, after the configured `onRetry`. */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Name the origin yourself (e.g. "orders.create"): no stack is captured, which saves its cost (a few µs per
   * transaction) on hot paths; reports then have no opening stack. Default: the caller's file:line.
   */
  origin?: string;
  /**
   * Side effects that must happen once and only if the data is there (an e-mail, a message to a queue): called once
   * with the callback's value after the attempt that committed, never for attempts that rolled back or were retried;
   * withTransaction resolves after it. If it throws, withTransaction rejects with AfterCommitError (the commit
   * stands). On a savepoint it runs after the outermost transaction commits, and not at all if the savepoint (or
   * anything around it) rolls back.
   */
  afterCommit?(value: T): unknown;
}

const WHERE = 'withTransaction()';
const LEVELS = ['read committed', 'repeatable read', 'serializable', 'read uncommitted'];

/** Every option withTransaction takes, checked on each call (a few property reads; the options are usually one or two). */
const SCHEMA: Schema = Object.freeze({
  isolationLevel: isOneOf(LEVELS, true),
  readOnly: isBoolean,
  deferrable: isBoolean,
  statementTimeout: isMs(0),
  lockTimeout: isMs(0),
  idleInTransactionSessionTimeout: isMs(0),
  app: isNonEmptyString,
  retry: isFalseOr(RETRY_SCHEMA),
  onRetry: isFunction,
  origin: isNonEmptyString,
  afterCommit: isFunction,
});

const NO_OPTIONS: TransactionOptions = Object.freeze({});

/**
 * Internal, for the ORM integrations: the opening they captured at the ORM's own entry point (the app's call of
 * `db.transaction(…)`), so the origin names the app's line rather than the integration's. A symbol key: options
 * validation does not see it and no public type names it.
 */
export const OPENED_AT: unique symbol = Symbol('mvcc-doctor opened at');

/**
 * Run `fn` in a transaction on a client of `pool`: BEGIN (with the tag, same round trip), COMMIT when `fn`
 * resolves, ROLLBACK and rethrow the original error when it throws; the whole transaction is run again on the
 * configured SQLSTATEs (40001, 40P01). Given a transaction client instead of a pool, `fn` runs in a savepoint. Given a
 * connected pg.Client, the transaction runs on it (the caller owns it; one transaction at a time).
 * `fn` may run more than once: keep side effects outside the database out of it (or in `afterCommit`).
 */
export function withTransaction<T>(
  pool: PoolLike | TransactionClient | SingleClientLike,
  fn: (tx: TransactionClient) => Promise<T> | T,
  options: TransactionOptions<T> = NO_OPTIONS as TransactionOptions<T>,
): Promise<T> {
  // Not async itself, so the caller awaits the transaction's own promise (one promise and one microtask hop fewer);
  // the stack is still captured synchronously, in the caller's call. Every error still rejects, none throws.
  try {
    if (typeof fn !== 'function') throw invalidArgument(WHERE, 'fn', fn, 'must be a function (tx) => …');
    if (isTransactionClient(pool)) {
      checkSavepointOptions(options);
      return withSavepoint(pool, fn, options.afterCommit?.bind(options));
    }
    if (options !== NO_OPTIONS) validateOptions(WHERE, options, SCHEMA);
    const target = poolOf(pool);
    const settings = config();
    const opening =
      (options as { [OPENED_AT]?: Opening })[OPENED_AT] ??
      (options.origin !== undefined
        ? namedOpening(options.origin)
        : openingOf(fn, withTransaction, { frames: settings.stackFrames, root: settings.originRoot, ignoreFile: settings.ignoreFile }));
    const store = currentStore();
    const app = options.app ?? settings.app;
    const tags = transactionTags(app, opening.origin, store.context, settings, options);
    return run(target, fn, options, { tags, opening, store, settings, app });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A pool, or a single connected client lent as a pool of one; anything else is refused here, before any work. */
function poolOf(target: unknown): PoolLike {
  if (isSingleClient(target)) return singleClientPool(target, WHERE);
  if (typeof (target as PoolLike | null | undefined)?.connect === 'function') return target as PoolLike;
  throw invalidArgument(WHERE, 'pool', target, 'must be a pg.Pool (or anything whose connect() gives clients), a connected pg.Client, or a transaction client (for a savepoint)');
}

/** A savepoint takes afterCommit only: the rest belongs to the transaction it is part of. */
function checkSavepointOptions(options: TransactionOptions<never>): void {
  if (options === NO_OPTIONS) return;
  validateOptions(WHERE, options, SCHEMA);
  for (const key in options) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined || key === 'afterCommit') continue;
    throw new InvalidOptionError(
      WHERE,
      key,
      describe(value),
      "is for the outermost withTransaction() only: a savepoint inherits its transaction's isolation, access mode, timeouts, tags and retry",
    );
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
async function run<T>(pool: PoolLike, fn: (tx: TransactionClient) => Promise<T> | T, options: TransactionOptions<T>, transaction: Transaction): Promise<T> {
  const { tags, opening, store, settings } = transaction;
  // When the first attempt began: its checkout (one clock read fewer per transaction), or its failure to get one.
  let started: number | undefined;
  let retry: Readonly<RetryOptions> | false | undefined;
  let sqlstates: string[] | undefined;
  let committed = false;
  let result!: T;
  let hooks: (() => unknown)[] | undefined;
  for (let attempt = 1; !committed; attempt++) {
    try {
      const lease = newLease('transaction', pool, await acquire(pool, opening, store, settings), opening, store.context, transaction.app);
      started ??= lease.startedAt;
      // BEGIN goes out first: the client is made while the server answers.
      const beginning = lease.run(tags.begin);
      const tx = new TransactionClient(lease, tags.tagging, 0);
      let value: T;
      try {
        await beginning;
        // Holding the lease in async context is what lets a nested request for the same pool be recognised.
        value = await (settings.starvation === 'off' ? fn(tx) : runHolding(store, lease, fn, tx));
        // The callback returned without awaiting a savepoint: what it still sends must not be committed half-done.
        const pending = savepointPending(tx);
        endClient(tx);
        if (pending) throw new TransactionBusyError(opening.origin, 'COMMIT (the callback returned while a savepoint was still open: await it)');
        // Died before COMMIT was sent: the server has rolled back, and that is certain.
        if (lease.killedBecause) throw new TransactionKilledError(opening.origin, lease.killedBecause);
        if (lease.connectionError) throw new ConnectionLostError(opening.origin, lease.backendPid, lease.connectionError);
      } catch (error) {
        endClient(tx);
        const original = await rollbackAndRelease(lease, error, tags.tagging, settings);
        // Rolled back by us, or by the server when the session ended (lost, or destroyed after a failed ROLLBACK).
        transactionCounts.rolledBack++;
        throw original;
      }
      let command: string;
      try {
        command = (await lease.run(tags.commit, undefined, true)).command;
      } catch (error) {
        throw commitFailed(lease, error, opening, settings);
      }
      lease.release();
      if (command === 'ROLLBACK') {
        transactionCounts.rolledBack++;
        throw new TransactionRolledBackError(opening.origin, lease.lastError);
      }
      transactionCounts.committed++;
      committed = true;
      result = value;
      hooks = lease.afterCommit;
    } catch (error) {
      const now = Date.now();
      const elapsedMs = now - (started ??= now);
      const code = sqlstateOf(error);
      if (code !== undefined) (sqlstates ??= []).push(code);
      retry ??= mergeRetry(settings.retry, options.retry);
      let decision: ReturnType<typeof retryDecision>;
      try {
        decision = retryDecision(error, attempt, elapsedMs, retry);
      } catch (predicateError) {
        // A retryIf that throws: its error is the outcome, with the attempts' record.
        transactionCounts.failed++;
        attachAttempts(predicateError, attempt, sqlstates ?? []);
        throw predicateError;
      }
      if (!decision.retry) {
        transactionCounts.failed++;
        attachAttempts(error, attempt, sqlstates ?? []);
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
  // Outside the attempts: nothing that happens after the commit can make the transaction run again.
  if (options.afterCommit !== undefined || hooks !== undefined) await afterCommit(options, result, hooks, opening);
  return result;
}

/** The transaction's own hook, then its savepoints' in the order they were released; every one runs. */
async function afterCommit<T>(options: TransactionOptions<T>, value: T, nested: (() => unknown)[] | undefined, opening: Opening): Promise<void> {
  const errors: unknown[] = [];
  const all = options.afterCommit !== undefined ? [() => options.afterCommit!(value), ...(nested ?? [])] : (nested ?? []);
  for (const hook of all) {
    try {
      await hook();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AfterCommitError(opening.origin, value, errors);
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
