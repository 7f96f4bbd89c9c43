import { config, type Config } from './config.js';
import { currentStore, type Store, type WorkContext } from './context.js';
import { PoolStarvationError } from './errors.js';
import { events } from './events.js';
import { Lease } from './lease.js';
import { captureOpening, type Opening } from './origin.js';
import { trackPool } from './pool-tracker.js';
import { quoteLiteral } from './quote.js';
import { isSingleClient, SingleClientPool } from './single-client.js';
import { holdersOf, poolDeadlock } from './starvation.js';
import { formatTag } from './tags.js';
import type { PoolClientLike, PoolLike } from './types.js';
import { invalidArgument } from './validate-options.js';

/**
 * Check a client out. A caller that already holds a client of the same pool is marked as waiting while it waits; if
 * that closes a cycle (every client held by a waiter) the request is refused. The common case is the pool's own
 * promise, untouched: no extra promise and no extra microtask per transaction.
 */
export function acquire(pool: PoolLike, opening: Opening, store: Store, settings: Config): Promise<PoolClientLike> {
  trackPool(pool);
  if (store.leases.length === 0) return pool.connect();
  const held = store.leases.filter((lease) => lease.pool === pool && !lease.isReleased);
  return held.length === 0 ? pool.connect() : connectWhileHolding(pool, held, opening, settings);
}

/** Make the checked-out client a lease (registered, watched); refuses what is not a pool client. */
export function newLease(
  kind: 'transaction' | 'client',
  pool: PoolLike,
  client: PoolClientLike,
  opening: Opening,
  context: WorkContext,
  app: string,
): Lease {
  if (pool instanceof SingleClientPool) {
    const lease = new Lease(kind, pool, client, opening, context, app, pool.giveBack);
    pool.holder = lease;
    return lease;
  }
  if (typeof client?.release !== 'function' || typeof client.query !== 'function') {
    throw invalidArgument(kind === 'transaction' ? 'withTransaction()' : 'checkout()', 'pool', pool, 'is not a pool: its connect() gave something without query() and release()');
  }
  return new Lease(kind, pool, client, opening, context, app);
}

async function connectWhileHolding(pool: PoolLike, held: readonly Lease[], opening: Opening, settings: Config): Promise<PoolClientLike> {
  for (const lease of held) lease.waitingForPool++;
  try {
    const pending = pool.connect();
    const deadlocked = settings.starvation === 'off' ? undefined : poolDeadlock(pool);
    if (deadlocked) {
      const holders = holdersOf(deadlocked);
      const error = new PoolStarvationError(holders, opening.origin);
      events.emit('pool-deadlock', { holders, waiterOrigin: opening.origin, waiterStack: opening.stack() });
      settings.logger.error(error.message, { stack: holders.map((h) => `holder pid ${h.backendPid} opened at:\n${h.stack}`).join('\n') });
      if (settings.starvation === 'throw') {
        // Our place in the pool's queue stays; whatever client it eventually gets goes straight back.
        pending.then((client) => client.release(), () => {});
        throw error;
      }
    }
    return await pending;
  } finally {
    for (const lease of held) lease.waitingForPool--;
  }
}

/** A checked-out client the watchdog and registry see; `release()` is guarded to happen once. */
export type TrackedClient<C extends PoolClientLike> = C & { release(destroy?: Error | boolean): void };

/**
 * `pool.connect()` for work outside a transaction (name the client type to get it back: `checkout<pg.PoolClient>(pool)`)
 * (LISTEN, COPY, session settings), tracked like a transaction: it shows in the registry (its idle time counted from
 * its last statement), the watchdog reports it when held too long, and its release happens once. Its session is
 * named with a transaction's tag (`SET application_name = '<app>@<file>:<line>'`, one round trip at checkout; its
 * statements carry no comment) so a leak shows in pg_stat_activity and in `mvcc-doctor check`; release puts the session's own name back (queued on the
 * connection, no wait) before the pool can hand the client to anyone else.
 */
export async function checkout<C extends PoolClientLike = PoolClientLike>(pool: PoolLike): Promise<TrackedClient<C>> {
  if (isSingleClient(pool) || typeof (pool as PoolLike | null)?.connect !== 'function') {
    throw invalidArgument('checkout()', 'pool', pool, 'must be a pool (a pg.Pool, or anything whose connect() gives clients with query() and release()); a single pg.Client is yours already');
  }
  const settings = config();
  const opening = captureOpening(checkout, { frames: settings.stackFrames, root: settings.originRoot, ignoreFile: settings.ignoreFile });
  const store = currentStore();
  const lease = newLease('client', pool, await acquire(pool, opening, store, settings), opening, store.context, settings.app);
  const client = lease.client as TrackedClient<C>;
  const tagged = settings.checkoutName;
  if (tagged) {
    const name = formatTag({ app: settings.app, origin: opening.origin, route: store.context.route ?? store.context.job });
    try {
      await lease.run(`SET application_name = ${quoteLiteral(name)}`);
    } catch (error) {
      lease.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
  const untrack = trackActivity(lease, client);
  // pg-pool sets client.release on every checkout, so replacing it here affects this checkout only.
  client.release = (destroy?: Error | boolean) => {
    if (lease.isReleased) return;
    untrack();
    const broken = destroy || lease.connectionError !== undefined || lease.killedBecause !== undefined;
    // Queued on this connection before anything the next borrower sends; its failure (a session the caller left in an
    // aborted transaction) must not surface anywhere.
    if (tagged && !broken) lease.run('RESET application_name').catch(() => {});
    lease.release(destroy ? (destroy instanceof Error ? destroy : new Error('destroyed by caller')) : undefined);
  };
  return client;
}

/**
 * Count the checked-out client's own statements, so the registry's idle time is measured from the last one (not
 * from the checkout). A Cursor or stream counts as activity when it is submitted. Returns the undo, for release.
 */
function trackActivity(lease: Lease, client: PoolClientLike): () => void {
  const own = Object.prototype.hasOwnProperty.call(client, 'query');
  const original = client.query;
  client.query = function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0] as { submit?: unknown } | null | undefined;
    if (typeof first?.submit === 'function') {
      lease.idleSince = Date.now();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    }
    lease.inFlight++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      lease.statementEnded();
    };
    const last = args.length > 0 ? args[args.length - 1] : undefined;
    const wrap = (callback: (...a: unknown[]) => unknown) =>
      function (this: unknown, ...results: unknown[]): unknown {
        end();
        return callback.apply(this, results);
      };
    const inConfig = (first as { callback?: unknown } | null | undefined)?.callback;
    if (typeof last === 'function') args[args.length - 1] = wrap(last as (...a: unknown[]) => unknown);
    else if (typeof inConfig === 'function') args[0] = { ...(first as object), callback: wrap(inConfig as (...a: unknown[]) => unknown) };
    let returned: unknown;
    try {
      returned = (original as (...a: unknown[]) => unknown).apply(this, args);
    } catch (error) {
      end();
      throw error;
    }
    if (typeof last !== 'function' && typeof inConfig !== 'function' && typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
      (returned as PromiseLike<unknown>).then(end, end);
    }
    return returned;
  } as PoolClientLike['query'];
  return () => {
    if (own) client.query = original;
    else delete (client as { query?: unknown }).query;
  };
}
