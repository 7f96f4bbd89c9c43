import type { Lease } from './lease.js';
import type { PoolClientLike } from './types.js';

// A checked-out pg client whose connection dies emits "error"; with no listener that crashes the process. One
// listener per client, added the first time the library holds it and kept for the client's life, answers for
// whichever lease holds the client now: adding and removing a listener per transaction would run EventEmitter's
// code twice per transaction (1–3 µs on a CPU gone cold during the network wait).
const HOLDER = Symbol('mvcc-doctor.holder');

type Watched = PoolClientLike & { [HOLDER]?: Lease | undefined; listenerCount?(event: 'error'): number };

/** Route the client's "error" events to `lease` until `dropErrors`. */
export function holdErrors(client: PoolClientLike, lease: Lease): void {
  const watched = client as Watched;
  if (!(HOLDER in watched)) watched.on?.('error', onClientError);
  watched[HOLDER] = lease;
}

/** The lease lets the client go: its errors are no longer the lease's. */
export function dropErrors(client: PoolClientLike, lease: Lease): void {
  const watched = client as Watched;
  if (watched[HOLDER] === lease) watched[HOLDER] = undefined;
}

function onClientError(this: Watched, error: Error): void {
  const lease = this[HOLDER];
  if (lease !== undefined) {
    lease.connectionError ??= error;
    return;
  }
  // Not held by the library now: the pool's idle listener (or the owner's) handles it. With nobody else listening,
  // fail as the unhandled "error" event would have without this listener.
  if ((this.listenerCount?.('error') ?? 0) <= 1) throw error;
}
