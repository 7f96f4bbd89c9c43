import { dropErrors, holdErrors } from './client-errors.js';
import type { WorkContext } from './context.js';
import type { LeaseInfo } from './events.js';
import type { Opening } from './origin.js';
import { register, unregister } from './registry.js';
import type { PoolClientLike, PoolLike, QueryConfigLike, QueryResultLike } from './types.js';

let nextId = 1;

/**
 * One client checked out of a pool, from checkout to its single release: who opened it, whether a statement is
 * running, since when it idles, whether its connection died. The registry of open transactions is the set of leases.
 */
export class Lease {
  readonly id = nextId++;
  readonly startedAt = Date.now();
  readonly backendPid: number | undefined;
  /** Statements sent and not yet answered. */
  inFlight = 0;
  /** When the last statement ended (or the checkout happened). */
  idleSince = this.startedAt;
  /** How many of the holder's requests for another client of the same pool are pending. */
  waitingForPool = 0;
  /** The connection's "error" event, once it died. */
  connectionError: Error | undefined;
  /** Why the watchdog or a crash handler closed the connection. */
  killedBecause: string | undefined;
  /** Savepoints made so far, for unique names. */
  savepoints = 0;
  /** The watchdog's first report has been made. */
  reported = false;
  /** The last statement error, the cause when COMMIT answers ROLLBACK. */
  lastError: unknown;
  /** afterCommit hooks of released savepoints, run after the transaction commits (dropped if it does not). */
  afterCommit: (() => unknown)[] | undefined;
  private released = false;
  private closed = false;
  /** Neighbours in the registry's list of open leases (registry.ts). */
  registryPrevious: Lease | undefined;
  registryNext: Lease | undefined;
  // Kept from checkout time: whoever replaces client.release later (checkout() does) must not be called back.
  private readonly giveBack: PoolClientLike['release'];

  constructor(
    readonly kind: 'transaction' | 'client',
    readonly pool: PoolLike,
    readonly client: PoolClientLike,
    readonly opening: Opening,
    readonly context: WorkContext,
    readonly app: string,
    /** How the client is given back, when not by its own release() (a single client the caller owns). */
    giveBack?: PoolClientLike['release'],
  ) {
    this.backendPid = client.processID ?? undefined;
    this.giveBack = giveBack ?? client.release;
    holdErrors(client, this);
    register(this);
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Run one statement on the raw client, keeping the active/idle bookkeeping. node-postgres takes a callback and
   * then makes no promise of its own: one promise per statement instead of two. A client that ignores the callback
   * and returns a promise works too. `closing`: the lease is released as soon as it ends (COMMIT), so the idle time
   * it would start is never read: no clock read.
   */
  run(query: string | QueryConfigLike, values?: unknown[], closing = false): Promise<QueryResultLike<unknown>> {
    this.inFlight++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (error: unknown, result?: QueryResultLike<unknown>): void => {
        if (settled) return;
        settled = true;
        this.statementEnded(closing);
        if (error) {
          this.lastError = error;
          reject(error);
        } else resolve(result as QueryResultLike<unknown>);
      };
      try {
        const returned = this.client.query(query, values, done) as PromiseLike<QueryResultLike<unknown>> | undefined;
        if (typeof returned?.then === 'function') returned.then((result) => done(undefined, result), done);
      } catch (error) {
        done(error);
      }
    });
  }

  /** A statement ended (sent by run(), or a checked-out client's own query()): the session idles from now if none is left. */
  statementEnded(closing = false): void {
    this.inFlight--;
    if (this.inFlight === 0 && !closing) this.idleSince = Date.now();
  }

  /** Give the client back (or destroy it) — exactly once, whatever path got here. */
  release(destroy?: Error): void {
    if (this.released) return;
    this.released = true;
    unregister(this);
    dropErrors(this.client, this);
    this.giveBack.call(this.client, destroy ?? (this.connectionError || this.killedBecause ? new Error('connection closed') : undefined));
  }

  /** Close the connection: the server rolls back whatever the session had open, at once if it was idle. */
  kill(reason: string): void {
    if (this.released || this.closed) return;
    this.closed = true;
    this.killedBecause ??= reason;
    try {
      Promise.resolve(this.client.end?.()).catch(() => {});
    } catch {
      // the connection is already gone
    }
  }

  info(now = Date.now()): LeaseInfo {
    const active = this.inFlight > 0;
    return {
      id: this.id,
      kind: this.kind,
      backendPid: this.backendPid,
      app: this.app,
      origin: this.opening.origin,
      route: this.context.route,
      job: this.context.job,
      traceparent: this.context.traceparent,
      startedAt: new Date(this.startedAt).toISOString(),
      ageMs: now - this.startedAt,
      state: active ? 'active' : 'idle',
      idleSince: active ? undefined : new Date(this.idleSince).toISOString(),
      idleMs: active ? 0 : now - this.idleSince,
      waitingForPool: this.waitingForPool > 0,
      stack: this.opening.stack(),
    };
  }
}
