import type { PoolHolder } from './errors.js';
import type { Lease } from './lease.js';
import { openLeases } from './registry.js';
import type { PoolLike } from './types.js';

/** The pool's own counters, when it has them (pg.Pool does). */
export function poolState(pool: PoolLike): { max: number; total: number; idle: number; waiting: number } | undefined {
  const { totalCount: total, idleCount: idle, waitingCount: waiting } = pool;
  const max = pool.options?.max;
  if (total === undefined || idle === undefined || waiting === undefined || max === undefined) return undefined;
  return { max, total, idle, waiting };
}

export function leasesOf(pool: PoolLike): Lease[] {
  return openLeases().filter((lease) => lease.pool === pool);
}

export function holdersOf(leases: Lease[]): PoolHolder[] {
  return leases.map((lease) => ({ backendPid: lease.backendPid, origin: lease.opening.origin, stack: lease.opening.stack() }));
}

/**
 * A pool deadlock: the pool is full, nothing is idle, every client is held through the library, and every holder is
 * itself waiting for a client of this pool. No release can ever come. Undefined when that is not (provably) so.
 */
export function poolDeadlock(pool: PoolLike): Lease[] | undefined {
  const state = poolState(pool);
  if (!state || state.idle > 0 || state.total < state.max) return undefined;
  const holders = leasesOf(pool);
  if (holders.length < state.total) return undefined; // some client is held by code we cannot see
  return holders.every((lease) => lease.waitingForPool > 0) ? holders : undefined;
}
