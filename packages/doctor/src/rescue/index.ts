/** The wraparound rescue (`mvcc-doctor freeze`) as a library: plan, release blockers, run. */
export { makeFreezePlan, type MakePlanOptions } from './make-plan.js';
export { planFreeze, vacuumSql, type DatabasePlan, type FreezePlan, type FreezePlanOptions, type PlannedRelation } from './freeze-plan.js';
export type { Blocker, ReleaseAction } from './blockers.js';
export { releaseBlockers, type ReleaseResult } from './blocker-release.js';
export { runFreeze } from './freeze-runner.js';
export type { DatabaseAge, FailedRelation, FreezeEvent, FreezeRunOptions, FreezeRunResult, FrozenRelation, SkippedRelation } from './run-types.js';
export { freezeStopZoneFirst, withStopZoneFirst, type StopZoneFirst } from './stop-zone-first.js';
export { progressView, type ProgressView } from './progress-view.js';
export { renderPlan } from './plan-text.js';
export { renderRelease, renderRunSummary } from './run-text.js';
