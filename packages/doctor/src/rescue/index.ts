/** The wraparound rescue (`mvcc-doctor freeze`) as a library: plan it, or run it with typed events. */
export { planFreeze, type PlanFreezeOptions } from './plan-freeze.js';
export { rescue, type RescueEvent, type RescueHooks, type RescueOptions, type RescueResult } from './rescue.js';
export { buildFreezePlan, vacuumSql, type DatabasePlan, type FreezePlan, type FreezePlanOptions, type PlannedRelation } from './freeze-plan.js';
export type { Blocker, ReleaseAction } from './blockers.js';
export { releaseBlockers, type ReleaseResult } from './blocker-release.js';
export { runFreeze, startFreeze, type FreezeRunHandle } from './freeze-runner.js';
export type { DatabaseAge, FailedRelation, FreezeEvent, FreezeRunOptions, FreezeRunResult, FrozenRelation, SkippedRelation, WorkerState } from './run-types.js';
export { progressView, type ProgressView } from './progress-view.js';
export { renderPlan } from './plan-text.js';
export { renderRelease, renderRunSummary } from './run-text.js';
