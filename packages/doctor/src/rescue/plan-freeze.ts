import type { ConnOptions } from '../connect/conn-options.js';
import type { SessionLimits } from '../connect/safe-session.js';
import { buildFreezePlan, type FreezePlan, type FreezePlanOptions } from './freeze-plan.js';
import { readPlanInputs } from './plan-sql.js';
import { rescueSessionSql } from './rescue-session.js';

export interface PlanFreezeOptions extends FreezePlanOptions {
  /** XID age to get every database under; autovacuum_freeze_max_age when absent. */
  targetXidAge?: number;
  /** MultiXact age to get under; the XID target (or autovacuum_multixact_freeze_max_age, if lower) when absent. */
  targetMxidAge?: number;
  /** lock_timeout of the rescue sessions, in ms: a locked relation fails fast and is retried once at the end. */
  lockTimeoutMs: number;
  /** Limits of the read-only sessions that read the catalogs. */
  limits?: SessionLimits;
}

/** Read the server and plan the freeze: `freeze plan` (nothing is changed). */
export async function planFreeze(conn: ConnOptions, options: PlanFreezeOptions): Promise<FreezePlan> {
  const inputs = await readPlanInputs(conn, { targetXidAge: options.targetXidAge, targetMxidAge: options.targetMxidAge, limits: options.limits });
  return buildFreezePlan(inputs, options, rescueSessionSql(options.lockTimeoutMs));
}
