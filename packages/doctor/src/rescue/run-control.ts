import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { FreezeRun } from './freeze-run.js';
import type { Tick, WaitRow } from './run-monitor.js';

/**
 * The control loop of a run: every `pollMs` one tick (ages, every VACUUM running, who holds up ours), then
 * the stop condition, autovacuum conflicts and a progress event; once stopping, it cancels our own backends.
 * Ends when `done` is aborted.
 */
export async function controlLoop(run: FreezeRun, done: AbortSignal): Promise<void> {
  const pollMs = run.options.pollMs ?? 100;
  // Nothing to watch before there is work; its control session would only compete with reading the work.
  await Promise.race([run.started, new Promise((resolve) => done.addEventListener('abort', resolve, { once: true }))]);
  // Work that came with the VACUUMs running (the stop-zone read) starts without the first look, which then waits one
  // interval: the control session opened beside the first VACUUMs slowed them (bench:freeze's decoy layout: testdb
  // out of the stop zone at 0.134 s instead of 0.161 s, medians of 9 rounds on 2 cores).
  // The workers send their first statements before this loop's first-run code takes its turn.
  await nextTurn();
  if (run.queue.othersKnown) await sleep(pollMs, undefined, { signal: done }).catch(() => {});
  while (!done.aborted) {
    try {
      const monitor = await run.monitor;
      if (run.stopping) await monitor.cancel(run.busyPids());
      const tick = await monitor.tick(run.busyPids());
      if (!run.stopping) await resolveWaits(run, tick.waits);
      applyTick(run, tick);
    } catch {
      // Progress is best effort: the monitor reopens a lost session, the workers go on regardless.
    }
    await sleep(pollMs, undefined, { signal: done }).catch(() => {});
  }
}

function applyTick(run: FreezeRun, tick: Tick): void {
  run.queue.noteOthers(tick.progress, new Set(run.workers.map((w) => w.pid)));
  run.observe(tick.databases);
  run.pulse(); // workers waiting for the first tick start now
  for (const w of run.workers) {
    const p = w.pid ? tick.progress.find((row) => row.pid === w.pid) : undefined;
    Object.assign(w, { phase: p?.phase, scanned: p?.scanned, total: p?.total, waiting: tick.waits.some((x) => x.pid === w.pid) });
  }
  const inFlight = run.workers.reduce((sum, w) => sum + (w.relation ? Math.min(w.scanned ?? 0, w.relation.pagesToScan) : 0), 0);
  const pagesDone = run.pagesFinished + inFlight;
  const elapsed = run.elapsed();
  const rate = pagesDone / Math.max(elapsed, 1e-3);
  run.emit({
    type: 'progress',
    elapsed,
    workers: run.workers.map((w) => ({ ...w })),
    databases: tick.databases,
    pagesDone,
    pagesTotal: run.pagesTotal,
    etaSeconds: elapsed > 0.5 && rate > 0 ? Math.max(0, run.pagesTotal - pagesDone) / rate : undefined,
  });
}

/**
 * A VACUUM of ours waiting behind autovacuum would only wait (and fail at lock_timeout): a throttled
 * autovacuum is cancelled so ours goes on at full speed; one at full speed (failsafe) is left to finish
 * and ours is cancelled and put back, to be skipped once autovacuum is done.
 */
async function resolveWaits(run: FreezeRun, waits: WaitRow[]): Promise<void> {
  const monitor = await run.monitor;
  for (const wait of waits) {
    const w = run.workers.find((x) => x.pid === wait.pid);
    // Only autovacuum workers that hold the lock and are at work; anything else is for lock_timeout to report.
    const working = (b: WaitRow['blockers'][number]) => b.backend_type === 'autovacuum worker' && !b.waiting;
    if (!w?.relation || wait.blockers.length === 0 || !wait.blockers.every(working)) continue;
    const slow = wait.blockers.filter((b) => run.queue.throttled.has(b.pid));
    if (slow.length > 0 && run.options.takeOverAutovacuum !== false) {
      await monitor.cancel(slow.map((b) => b.pid));
      run.result.tookOver.push({ relation: w.relation, pid: slow[0]!.pid });
      run.emit({ type: 'autovacuum-taken-over', relation: w.relation, pid: slow[0]!.pid });
    } else if (!run.yieldedOnce.has(w.relation)) {
      run.yielded.add(w.relation);
      run.yieldedOnce.add(w.relation);
      await monitor.cancel([wait.pid]);
    }
  }
}
