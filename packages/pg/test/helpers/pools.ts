import pg from 'pg';
import type { Cluster } from '@mvcc-doctor/lab';
import type { PoolClientLike, PoolLike } from '../../src/index.js';

/** A real pg.Pool on the cluster; idle-client errors (from terminated backends) are expected in these tests. */
export function makePool(cluster: Cluster, options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ ...cluster.connectionConfig(), application_name: 'pg-test', max: 4, ...options });
  pool.on('error', () => {});
  return pool;
}

/** What a counting pool saw. */
export interface Releases {
  /** One entry per release() call: the argument given (undefined: back to the pool; truthy: destroyed). */
  calls: unknown[];
  /** Clients checked out. */
  checkouts: number;
}

/** The pool, as a structural PoolLike whose clients count their release() calls. */
export function countingPool(pool: pg.Pool): { pool: PoolLike; releases: Releases } {
  const releases: Releases = { calls: [], checkouts: 0 };
  const wrapped: PoolLike = {
    async connect(): Promise<PoolClientLike> {
      const client = await pool.connect();
      releases.checkouts++;
      const release = client.release;
      client.release = (destroy?: Error | boolean) => {
        releases.calls.push(destroy);
        release.call(client, destroy);
      };
      return client;
    },
    get totalCount() {
      return pool.totalCount;
    },
    get idleCount() {
      return pool.idleCount;
    },
    get waitingCount() {
      return pool.waitingCount;
    },
    options: pool.options,
  };
  return { pool: wrapped, releases };
}

/** Resolves once `n` parties have arrived: lines up concurrent transactions at the point that makes them collide. */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived++;
    if (arrived >= n) open();
    return opened;
  };
}

/** A promise and its resolve, to hold a callback open until the test lets it go. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Poll until `probe` returns something truthy (or fail after `timeoutMs`). */
export async function until<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
