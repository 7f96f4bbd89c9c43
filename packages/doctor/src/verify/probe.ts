import { DoctorError } from '../connect/doctor-error.js';
import { pgErrorOf, type PgError } from '../connect/pg-error.js';
import type { VerificationId, VerifyContext, VerifyGap, VerifyOutcome, VerifySubject } from './verification.js';

/** How a failed statement of a verification counts: a gap in what verify could prove, never a crash. */
export type ProbeFailure = { kind: 'skipped' | 'unfinished'; reason: string; error: PgError };

/**
 * Why a statement ended, in words an operator acts on. A lost connection is thrown (the run cannot go on); a
 * timeout means "not finished" (run again with more time); anything else means this object was not checked.
 */
export function classifyFailure(error: unknown, ctx: Pick<VerifyContext, 'scope'>): ProbeFailure {
  if (error instanceof DoctorError && (error.code === 'unreachable' || error.code === 'unavailable')) throw error;
  if (!(error instanceof DoctorError)) throw error;
  const pg = pgErrorOf(error);
  switch (pg.code) {
    case '57014':
      return { kind: 'unfinished', error: pg, reason: `statement_timeout (${ctx.scope.statementTimeoutMs} ms) ended it; run again with a larger --statement-timeout, off-peak` };
    case '55P03':
      return { kind: 'unfinished', error: pg, reason: `another session holds a conflicting lock and lock_timeout (${ctx.scope.lockTimeoutMs} ms) ended the wait` };
    case '42501':
      return { kind: 'skipped', error: pg, reason: `${pg.message} (verify reads with SELECT: GRANT SELECT, or pg_read_all_data on 14+)` };
    default:
      return { kind: 'unfinished', error: pg, reason: `${pg.code ? `${pg.code} ` : ''}${pg.message}` };
  }
}

/** Run one statement; a failure becomes a gap in `outcome` and the result undefined. */
export async function probe<T>(
  ctx: VerifyContext,
  outcome: VerifyOutcome,
  verification: VerificationId,
  subject: VerifySubject | undefined,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    const failure = classifyFailure(error, ctx);
    const gap: VerifyGap = { verification, ...(subject ? { subject } : {}), reason: failure.reason };
    outcome[failure.kind].push(gap);
    return undefined;
  }
}
