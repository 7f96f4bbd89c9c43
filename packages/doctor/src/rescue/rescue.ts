import type { ConnOptions } from '../connect/conn-options.js';
import { releaseBlockers, type ReleaseResult } from './blocker-release.js';
import type { Blocker } from './blockers.js';
import type { FreezePlan } from './freeze-plan.js';
import { startFreeze, workOf } from './freeze-runner.js';
import { planFreeze, type PlanFreezeOptions } from './plan-freeze.js';
import type { FreezeEvent, FreezeRunResult } from './run-types.js';
import { readStopZoneWork } from './stop-zone-work.js';

export interface RescueOptions extends PlanFreezeOptions {
  /** Release the blockers the plan shows (sessions, orphaned prepared transactions, inactive slots) once `confirm` agrees. */
  releaseBlockers?: boolean;
  /** Cancel a throttled autovacuum worker on a relation we must freeze, and freeze it at full speed. Default true. */
  takeOverAutovacuum?: boolean;
  /** How often progress and ages are read, in ms. Default 100. */
  pollMs?: number;
  /** Aborting it cancels our running VACUUMs and ends the rescue. */
  signal?: AbortSignal;
}

/** Everything a rescue reports as it goes, in order. */
export type RescueEvent =
  | { type: 'plan'; plan: FreezePlan; replanned: boolean }
  | { type: 'blockers-released'; results: ReleaseResult[] }
  | { type: 'blockers-kept'; blockers: Blocker[]; declined: boolean }
  | FreezeEvent;

export interface RescueHooks {
  onEvent?: (event: RescueEvent) => void;
  /** Asked before any blocker is released; false leaves them all and ends the rescue after the stop zone. Default: yes. */
  confirm?: (blockers: Blocker[]) => Promise<boolean>;
}

export interface RescueResult {
  /** The plan carried out: made again after a release, when there was one. */
  plan: FreezePlan;
  release?: ReleaseResult[];
  result: FreezeRunResult;
  /** The release was declined: only the stop-zone relations were frozen. */
  declined: boolean;
}

/**
 * The wraparound rescue (`freeze run`): the relations that hold a database in the stop zone are frozen at once,
 * while the full plan is read; then the blockers are released (when asked and confirmed) and the plan made
 * again from what is there now; then every relation over the target is frozen, oldest zone first, until every
 * database is under the target. One run from start to end, so nothing is frozen twice.
 */
export async function rescue(conn: ConnOptions, options: RescueOptions, hooks: RescueHooks = {}): Promise<RescueResult> {
  const emit = hooks.onEvent ?? (() => {});
  const run = startFreeze(conn, { jobs: options.jobs, lockTimeoutMs: options.lockTimeoutMs, takeOverAutovacuum: options.takeOverAutovacuum, pollMs: options.pollMs, signal: options.signal, onEvent: emit });
  // The stop zone first, and the full plan only once out of it: on a small machine its reads would compete with
  // those VACUUMs. Best effort: whatever it could not read, the full plan brings.
  await readStopZoneWork(conn, options, run).catch(() => {});
  await run.idle();
  try {
    let plan = await planFreeze(conn, options);
    emit({ type: 'plan', plan, replanned: false });
    const releasable = plan.blockers.filter((b) => b.action !== 'none');
    let release: ReleaseResult[] | undefined;
    if (options.releaseBlockers && releasable.length > 0) {
      if (!(await (hooks.confirm ?? (async () => true))(releasable))) {
        emit({ type: 'blockers-kept', blockers: releasable, declined: true });
        return { plan, result: await run.end({ retry: false }), declined: true };
      }
      release = await releaseBlockers(conn, plan.blockers, { lockTimeoutMs: options.lockTimeoutMs });
      emit({ type: 'blockers-released', results: release });
      // Ages, holders and the relations over the target have changed: plan again from what is there now.
      plan = await planFreeze(conn, options);
      emit({ type: 'plan', plan, replanned: true });
    } else if (releasable.length > 0) emit({ type: 'blockers-kept', blockers: releasable, declined: false });
    run.add(workOf(plan));
    return { plan, release, result: await run.end(), declined: false };
  } catch (error) {
    run.cancel();
    await run.end({ retry: false }).catch(() => {});
    throw error;
  }
}
