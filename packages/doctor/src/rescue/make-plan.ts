import type { ConnOptions } from '../connect/conn-options.js';
import type { SessionLimits } from '../connect/safe-session.js';
import { planFreeze, type FreezePlan, type FreezePlanOptions } from './freeze-plan.js';
import { sessionSettings } from './freeze-session.js';
import { readPlanInputs } from './plan-sql.js';

export interface MakePlanOptions extends FreezePlanOptions {
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
export async function makeFreezePlan(conn: ConnOptions, options: MakePlanOptions): Promise<FreezePlan> {
  const inputs = await readPlanInputs(conn, { targetXidAge: options.targetXidAge, targetMxidAge: options.targetMxidAge, limits: options.limits });
  const settings = Object.entries(sessionSettings({ lockTimeoutMs: options.lockTimeoutMs })).map(([name, value]) => `SET ${name} = '${value}';`);
  return planFreeze(inputs, options, settings);
}
