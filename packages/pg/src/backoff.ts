import { CommitOutcomeUnknownError, ConnectionLostError, MvccPgError } from './errors.js';
import { isArrayOf, isFunction, isInteger, isMs, type Schema } from './validate-options.js';

/** When and how a whole transaction is run again. */
export interface RetryOptions {
  /** SQLSTATEs that make the whole transaction run again. Default 40001 (serialization_failure), 40P01 (deadlock_detected). */
  codes: readonly string[];
  /**
   * Runs at most, the first one included. Default Infinity: the time bound (`maxElapsedMs`) ends the retries, so a
   * hot row with many writers does not fail transactions that a little more patience would have committed.
   */
  maxAttempts: number;
  /** No new attempt starts once this much time has passed since the first began (backoff included). Default 10 s. */
  maxElapsedMs: number;
  /** The first backoff's upper bound; it doubles per attempt. Default 10 ms. */
  baseDelayMs: number;
  /** Upper bound of any backoff. Default 1 s. */
  maxDelayMs: number;
  /**
   * Decide yourself whether a failed attempt runs again (instead of `codes`): `attempt` is the run that failed (1 for
   * the first). Still bounded by `maxAttempts` and `maxElapsedMs`; a COMMIT whose outcome is unknown is never retried.
   */
  retryIf?: (error: unknown, attempt: number) => boolean;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  codes: Object.freeze(['40001', '40P01']),
  maxAttempts: Infinity,
  maxElapsedMs: 10_000,
  baseDelayMs: 10,
  maxDelayMs: 1_000,
});

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The retry option's fields, as configure() and withTransaction() check them. */
export const RETRY_SCHEMA: Schema = Object.freeze({
  codes: isArrayOf((code) => typeof code === 'string' && SQLSTATE.test(code), "5-character SQLSTATEs (e.g. '40001')"),
  maxAttempts: isInteger(1, Number.MAX_SAFE_INTEGER, true),
  maxElapsedMs: isMs(0),
  baseDelayMs: isMs(0),
  maxDelayMs: isMs(0),
  retryIf: isFunction,
});

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^(attempt-1))). `attempt` is the run that failed. */
export function backoffDelay(attempt: number, retry: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** The SQLSTATE an error carries, looking through `cause` (an app may wrap the driver's error); not through our own errors. */
export function sqlstateOf(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    // A connection lost between statements: the server rolled back, and its code (57P01, …) is the error's.
    if (current instanceof ConnectionLostError) return current.sqlstate;
    if (current instanceof MvccPgError) return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SQLSTATE.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether to run again after `attempt` failed with `error`, and after how long. `retryIf` may throw: that is the caller's. */
export function retryDecision(
  error: unknown,
  attempt: number,
  elapsedMs: number,
  retry: RetryOptions | false,
  random = Math.random,
): { retry: false } | { retry: true; code: string | undefined; delayMs: number } {
  if (!retry || error instanceof CommitOutcomeUnknownError || attempt >= retry.maxAttempts) return { retry: false };
  const code = sqlstateOf(error);
  const wanted = retry.retryIf ? retry.retryIf(error, attempt) === true : code !== undefined && retry.codes.includes(code);
  if (!wanted) return { retry: false };
  const delayMs = backoffDelay(attempt, retry, random);
  if (elapsedMs + delayMs > retry.maxElapsedMs) return { retry: false };
  return { retry: true, code, delayMs };
}
