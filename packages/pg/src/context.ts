import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lease } from './lease.js';
import { invalidArgument, isString, validateOptions, type Schema } from './validate-options.js';

/** What the current unit of work is, for tags: set it once per request or job with `withContext`. */
export interface WorkContext {
  /** The HTTP route (e.g. "POST /orders"). */
  route?: string;
  /** The job or queue task name, for work that is not a request. */
  job?: string;
  /** W3C trace context `traceparent` (version-traceid-spanid-flags); ignored unless well-formed. */
  traceparent?: string;
}

/** One async chain's state: its work context and the pool clients it holds (to see a caller wait for a pool it holds). */
export interface Store {
  readonly context: WorkContext;
  readonly leases: readonly Lease[];
  /** The transaction clients whose open savepoint this chain runs in (a savepoint of one of them would wait for itself). */
  readonly savepointParents: readonly object[];
}

const CONTEXT_SCHEMA: Schema = Object.freeze({ route: isString, job: isString, traceparent: isString });
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const EMPTY: Store = Object.freeze({ context: Object.freeze({}), leases: Object.freeze([]), savepointParents: Object.freeze([]) });
const storage = new AsyncLocalStorage<Store>();

/** Run `fn` with a work context (merged over the current one); every transaction opened inside is tagged with it. */
export function withContext<T>(context: WorkContext, fn: () => T): T {
  validateOptions('withContext()', context, CONTEXT_SCHEMA);
  if (typeof fn !== 'function') throw invalidArgument('withContext()', 'fn', fn, 'must be a function');
  const parent = storage.getStore() ?? EMPTY;
  const merged: WorkContext = { ...parent.context, ...context };
  if (merged.traceparent !== undefined && !TRACEPARENT.test(merged.traceparent)) delete merged.traceparent;
  return storage.run({ context: Object.freeze(merged), leases: parent.leases, savepointParents: parent.savepointParents }, fn);
}

/** The work context of the calling async chain. */
export function currentContext(): WorkContext {
  return (storage.getStore() ?? EMPTY).context;
}

export function currentStore(): Store {
  return storage.getStore() ?? EMPTY;
}

/**
 * Run `fn(arg)` as the holder of `lease`, so a request for another client of the same pool from inside is
 * recognised. (The argument is passed through rather than closed over: one allocation fewer per transaction.)
 */
export function runHolding<A, T>(store: Store, lease: Lease, fn: (arg: A) => T, arg: A): T {
  const leases = store.leases.length === 0 ? [lease] : [...store.leases, lease];
  return storage.run({ context: store.context, leases, savepointParents: store.savepointParents }, fn, arg);
}

/** Run a savepoint's callback, marked as inside a savepoint of `parent`. */
export function runInSavepoint<A, T>(parent: object, fn: (arg: A) => T, arg: A): T {
  const store = storage.getStore() ?? EMPTY;
  return storage.run({ ...store, savepointParents: [...store.savepointParents, parent] }, fn, arg);
}
