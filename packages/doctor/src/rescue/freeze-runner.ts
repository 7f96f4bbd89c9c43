import type { ConnOptions } from '../connect/conn-options.js';
import { runWorker } from './freeze-worker.js';
import { FreezeRun, type FreezeWork } from './freeze-run.js';
import type { FreezePlan } from './freeze-plan.js';
import { controlLoop } from './run-control.js';
import { RunMonitor } from './run-monitor.js';
import type { FreezeRunOptions, FreezeRunResult } from './run-types.js';

/** A run under way: more work can be added until the final work is in; `end` waits for it. */
export interface FreezeRunHandle {
  add(work: FreezeWork): void;
  /** Resolves once the work added so far is done (failures to retry excepted). */
  idle(): Promise<void>;
  /** Stop at once: our running VACUUMs are cancelled. */
  cancel(): void;
  /** Mark the work added so far as all there is (when none was final) and wait for the result. */
  end(options?: { retry?: boolean }): Promise<FreezeRunResult>;
}

/**
 * Start freezing: `jobs` workers take relations in order across all databases, one VACUUM per relation (so
 * datfrozenxid moves after each), each failure reported and the rest carried on with; a control session reads
 * progress and ages, stops the run as soon as every database is under the final target, and cancels our own
 * backends on abort. Work can arrive in parts (the stop-zone relations first, the full plan later). Nothing
 * here needs a new XID.
 */
export function startFreeze(conn: ConnOptions, options: FreezeRunOptions): FreezeRunHandle {
  const run = new FreezeRun(options, () => RunMonitor.open(conn, options.lockTimeoutMs));
  const onAbort = () => run.stop('cancelled');
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();
  const ended = new AbortController();
  const control = controlLoop(run, ended.signal);
  const workers = Promise.all(run.workers.map((_, i) => runWorker(run, conn, i)));
  return {
    add: (work) => run.add(work),
    idle: () => run.idle(),
    cancel: () => run.stop('cancelled'),
    async end({ retry } = {}) {
      if (retry === false) run.retry = false;
      run.final = true;
      run.pulse();
      try {
        await workers;
      } finally {
        ended.abort();
        options.signal?.removeEventListener('abort', onAbort);
        await control;
        await Promise.all([lastLook(run), ...run.spareSessions.splice(0).map((s) => s.close())]);
      }
      return run.settle();
    },
  };
}

/** Carry out one whole plan. */
export function runFreeze(conn: ConnOptions, plan: FreezePlan, options: FreezeRunOptions): Promise<FreezeRunResult> {
  const run = startFreeze(conn, options);
  run.add(workOf(plan));
  return run.end();
}

/** A plan as the run's final work. */
export function workOf(plan: FreezePlan): FreezeWork {
  return {
    relations: plan.order,
    target: plan.target,
    limits: plan.limits,
    databases: plan.databases.map((d) => ({ datname: d.name, xid_age: d.xidAge, mxid_age: d.mxidAge, allows: d.allowsConnections })),
    final: true,
  };
}

/**
 * The ages at the end (the result reports them), then the control session is closed. A short run may end before
 * the control loop's first look: the session is opened for this one, unless the run was cancelled.
 */
async function lastLook(run: FreezeRun): Promise<void> {
  if (!run.hasMonitor && run.stopping === 'cancelled') return;
  try {
    const monitor = await run.monitor;
    try {
      run.observe((await monitor.tick([])).databases);
    } finally {
      await monitor.close();
    }
  } catch {
    // keep the last ages read
  }
}
