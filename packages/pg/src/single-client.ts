import { ClientBusyError } from './errors.js';
import type { Lease } from './lease.js';
import { invalidArgument } from './validate-options.js';
import type { PoolClientLike, PoolLike, SingleClientLike } from './types.js';

/**
 * A single client the caller connected and owns (a `pg.Client`, or a client checked out of a pool by hand), lent to
 * withTransaction as a pool of one: one transaction at a time; a second one asked meanwhile is refused
 * (ClientBusyError), never queued. The library never connects it and never returns it anywhere; it ends it only
 * where it would destroy a pool's client (the session is lost or in an unknown state: a failed ROLLBACK, a COMMIT
 * whose outcome is unknown, the watchdog's kill), because a session in an unknown state must not be used again.
 */
export class SingleClientPool implements PoolLike {
  /** The lease using the client now. */
  holder: Lease | undefined;

  constructor(readonly client: SingleClientLike) {}

  connect(): Promise<PoolClientLike> {
    if (this.holder !== undefined) return Promise.reject(new ClientBusyError(this.holder.opening.origin));
    return Promise.resolve(this.client as PoolClientLike);
  }

  /** The lease's release: the client stays the caller's, or is ended when its session cannot be trusted. */
  readonly giveBack = (destroy?: Error | boolean): void => {
    this.holder = undefined;
    if (!destroy) return;
    try {
      Promise.resolve(this.client.end?.()).catch(() => {});
    } catch {
      // already closed
    }
  };
}

const lent = new WeakMap<object, SingleClientPool>();

/** Whether `value` is a single client rather than a pool: node-postgres clients have `processID`, pools do not. */
export function isSingleClient(value: unknown): value is SingleClientLike {
  return typeof value === 'object' && value !== null && 'processID' in value && typeof (value as { query?: unknown }).query === 'function';
}

/** The pool of one for this client (the same one each time, so it is lent to one transaction at a time). */
export function singleClientPool(client: SingleClientLike, where: string): SingleClientPool {
  // node-postgres' own flag: a client not connected yet (or never) would fail every query with a less clear error.
  if ((client as { _connected?: unknown })._connected === false) {
    throw invalidArgument(where, 'pool', client, 'is a pg.Client that is not connected: await client.connect() first (the library never connects or ends a client it is given)');
  }
  let pool = lent.get(client);
  if (pool === undefined) lent.set(client, (pool = new SingleClientPool(client)));
  return pool;
}
