import { config } from './config.js';
import { events } from './events.js';
import type { Lease } from './lease.js';
import { openLeases } from './registry.js';
import { holdersOf, leasesOf, poolDeadlock, poolState } from './starvation.js';
import type { PoolLike } from './types.js';
import { isMs, validateOptions, type Schema } from './validate-options.js';

const SCHEMA: Schema = Object.freeze({ warnAfterMs: isMs(0), killAfterMs: isMs(0), starvationAfterMs: isMs(0), intervalMs: isMs(1) });

/** What the watchdog watches for. */
export interface WatchdogOptions {
  /** Report a transaction or checked-out client open longer than this, once, with its opening stack. Default 30 s. */
  warnAfterMs?: number;
  /**
   * Close the connection of one open longer than this: the server rolls the transaction back (at once if it is idle
   * in transaction; a running statement is ended by statement_timeout or when the server next talks to the client).
   * Default: never.
   */
  killAfterMs?: number;
  /** Report a pool whose waiters got no client (through the library) for this long. Default 5 s. */
  starvationAfterMs?: number;
  /** How often to look. Default: a quarter of the smallest threshold, between 10 ms and 5 s. */
  intervalMs?: number;
}

/** Start watching; returns the function that stops it. The timer does not keep the process alive. */
export function startWatchdog(options: WatchdogOptions = {}): () => void {
  validateOptions('startWatchdog()', options, SCHEMA);
  const warnAfterMs = options.warnAfterMs ?? 30_000;
  const killAfterMs = options.killAfterMs;
  const starvationAfterMs = options.starvationAfterMs ?? 5_000;
  const smallest = Math.min(warnAfterMs, killAfterMs ?? Infinity, starvationAfterMs);
  const intervalMs = options.intervalMs ?? Math.min(5_000, Math.max(10, Math.floor(smallest / 4)));
  const starving = new Map<PoolLike, { since: number; holders: string; reported: boolean }>();
  const timer = setInterval(() => {
    const now = Date.now();
    const leases = openLeases();
    for (const lease of leases) inspect(lease, now, warnAfterMs, killAfterMs);
    watchPools(leases, now, starvationAfterMs, starving);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function inspect(lease: Lease, now: number, warnAfterMs: number, killAfterMs: number | undefined): void {
  const age = now - lease.startedAt;
  const { logger } = config();
  if (!lease.reported && age >= warnAfterMs) {
    lease.reported = true;
    const info = lease.info(now);
    events.emit('long-transaction', info);
    logger.warn(
      `${info.kind} open ${age} ms (${info.state}${info.state === 'idle' ? ` for ${info.idleMs} ms` : ''}), ` +
        `backend pid ${info.backendPid}, opened at ${info.origin}${(info.route ?? info.job) ? ` for ${info.route ?? info.job}` : ''}`,
      { stack: info.stack },
    );
  }
  if (killAfterMs !== undefined && age >= killAfterMs && lease.killedBecause === undefined) {
    const reason = `open longer than ${killAfterMs} ms (watchdog)`;
    lease.kill(reason);
    const info = lease.info(now);
    events.emit('transaction-killed', { ...info, reason });
    logger.error(`closed the connection of the ${info.kind} opened at ${info.origin} (backend pid ${info.backendPid}): ${reason}`, {
      stack: info.stack,
    });
  }
}

/** A pool with waiters, nothing idle, and the same clients held since last time: nobody is being served. */
function watchPools(
  leases: Lease[],
  now: number,
  starvationAfterMs: number,
  starving: Map<PoolLike, { since: number; holders: string; reported: boolean }>,
): void {
  const pools = new Set(leases.map((lease) => lease.pool));
  for (const pool of starving.keys()) if (!pools.has(pool)) starving.delete(pool);
  for (const pool of pools) {
    const state = poolState(pool);
    const held = leasesOf(pool);
    const holders = held.map((lease) => lease.id).join(',');
    if (!state || state.waiting === 0 || state.idle > 0) {
      starving.delete(pool);
      continue;
    }
    const episode = starving.get(pool);
    if (!episode || episode.holders !== holders) {
      starving.set(pool, { since: now, holders, reported: false });
      continue;
    }
    const starvedMs = now - episode.since;
    if (episode.reported || starvedMs < starvationAfterMs) continue;
    episode.reported = true;
    const deadlock = poolDeadlock(pool) !== undefined;
    const report = { waiting: state.waiting, total: state.total, starvedMs, holders: holdersOf(held) };
    events.emit('pool-starvation', report);
    config().logger.error(
      `pool ${deadlock ? 'deadlock' : 'starvation'}: ${state.waiting} caller(s) waited ${starvedMs} ms for a client; ` +
        `all ${state.total} held by: ${report.holders.map((h) => `${h.origin} (pid ${h.backendPid})`).join(', ')}`,
      { stack: report.holders.map((h) => `holder pid ${h.backendPid}:\n${h.stack}`).join('\n') },
    );
  }
}
