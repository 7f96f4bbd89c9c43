import type { PoolLike } from './types.js';

// Pools the library has been handed, held weakly: an app that drops a pool must not find it kept alive by us.
const seen = new WeakSet<PoolLike>();
const pools = new Set<WeakRef<PoolLike>>();

/** Remember a pool given to withTransaction() or checkout(). After the first time, one WeakSet lookup per checkout. */
export function trackPool(pool: PoolLike): void {
  if (seen.has(pool)) return;
  seen.add(pool);
  pools.add(new WeakRef(pool));
}

/** Clients of the pools we were handed, summed; collected pools are dropped. Undefined when no live pool has counters. */
export function poolTotals(): { total: number; idle: number; waiting: number } | undefined {
  let totals: { total: number; idle: number; waiting: number } | undefined;
  for (const ref of pools) {
    const pool = ref.deref();
    if (pool === undefined) {
      pools.delete(ref);
      continue;
    }
    const { totalCount, idleCount, waitingCount } = pool;
    // A structural pool without pg-pool's counters (a bare connect() wrapper) has nothing to add.
    if (typeof totalCount !== 'number' || typeof idleCount !== 'number' || typeof waitingCount !== 'number') continue;
    totals ??= { total: 0, idle: 0, waiting: 0 };
    totals.total += totalCount;
    totals.idle += idleCount;
    totals.waiting += waitingCount;
  }
  return totals;
}
