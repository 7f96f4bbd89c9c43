import { config, type Config } from './config.js';
import { currentStore, type Store, type WorkContext } from './context.js';
import { PoolStarvationError } from './errors.js';
import { events } from './events.js';
import { Lease } from './lease.js';
import { captureOpening, type Opening } from './origin.js';
import { trackPool } from './pool-tracker.js';
import { holdersOf, poolDeadlock } from './starvation.js';
import type { PoolClientLike, PoolLike } from './types.js';

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
  if (typeof client?.release !== 'function') {
    throw new TypeError('withTransaction() needs a pool (its connect() must give a client with release()), or a transaction client for a savepoint');
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
 * `pool.connect()` for work outside a transaction (name the client type to get it back: `checkout<pg.PoolClient>(pool)`) (LISTEN, COPY, session settings), tracked like a transaction:
 * it shows in the registry, the watchdog reports it when held too long, and its release happens once.
 */
export async function checkout<C extends PoolClientLike = PoolClientLike>(pool: PoolLike): Promise<TrackedClient<C>> {
  const settings = config();
  const opening = captureOpening(checkout, { frames: settings.stackFrames, root: settings.originRoot, ignoreFile: settings.ignoreFile });
  const store = currentStore();
  const lease = newLease('client', pool, await acquire(pool, opening, store, settings), opening, store.context, settings.app);
  const client = lease.client as TrackedClient<C>;
  // pg-pool sets client.release on every checkout, so replacing it here affects this checkout only.
  client.release = (destroy?: Error | boolean) => lease.release(destroy ? (destroy instanceof Error ? destroy : new Error('destroyed by caller')) : undefined);
  return client;
}
