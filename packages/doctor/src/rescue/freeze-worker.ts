import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { pgErrorOf, type PgError } from '../connect/pg-error.js';
import { openSession, type Session } from '../connect/safe-session.js';
import { adviseFailure } from './failure-advice.js';
import type { PlannedRelation } from './freeze-plan.js';
import type { FreezeRun } from './freeze-run.js';
import { RELATION_AGE_SQL } from './plan-sql.js';
import { rescueSessionOptions } from './rescue-session.js';
import type { FailedRelation } from './run-types.js';

/** How long a worker with nothing to take sleeps before it looks again (others' VACUUMs end without a pulse). */
const IDLE_MS = 50;

/** One worker: takes relations until the run stops or nothing is left, one VACUUM each, in a session it keeps per database. */
export async function runWorker(run: FreezeRun, conn: ConnOptions, worker: number): Promise<void> {
  let session: Session | undefined;
  try {
    for (let relation = await nextRelation(run, worker, undefined); relation; relation = await nextRelation(run, worker, session?.database)) {
      try {
        const problem = run.unreachable.get(relation.database);
        if (problem) fail(run, worker, relation, { code: 'connect', message: problem });
        else {
          session = await sessionFor(run, conn, worker, relation, session);
          if (session) await freezeOne(run, worker, session, relation);
        }
      } catch (error) {
        // The age reads around the VACUUM failed: the session is in doubt, use a new one.
        fail(run, worker, relation, pgErrorOf(error));
        await session?.close();
        session = undefined;
      } finally {
        run.queue.release(relation);
        run.pulse();
      }
    }
  } finally {
    run.workers[worker] = { worker };
    await session?.close();
  }
}

/** The next relation to start; waits while everything left is someone else's, until the run is over. */
async function nextRelation(run: FreezeRun, worker: number, database: string | undefined): Promise<PlannedRelation | undefined> {
  for (;;) {
    if (run.stopping) return undefined;
    const relation = run.queue.take(database, run.final && run.retry);
    if (relation) return relation;
    if (run.final && run.queue.isEmpty(run.retry) && !(run.retry && run.workers.some((w) => w.relation))) return undefined;
    const taken = run.options.takeOverAutovacuum !== false ? run.queue.takeThrottled() : undefined;
    if (taken) {
      await (await run.monitor).cancel([taken.pid]);
      run.result.tookOver.push(taken);
      run.emit({ type: 'autovacuum-taken-over', ...taken });
      return taken.relation;
    }
    await run.waitForPulse(IDLE_MS);
  }
}

/** A session in the relation's database: the worker's own if it is there, else a new one (undefined if it cannot be had). */
async function sessionFor(run: FreezeRun, conn: ConnOptions, worker: number, relation: PlannedRelation, session: Session | undefined): Promise<Session | undefined> {
  if (session && session.database === relation.database && !session.broken) return session;
  await session?.close();
  try {
    const opened = run.takeSpare(relation.database) ?? (await openSession(conn, relation.database, rescueSessionOptions(run.options.lockTimeoutMs)));
    run.workers[worker] = { worker, pid: opened.pid };
    return opened;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const lost = error instanceof DoctorError && (error.code === 'unreachable' || error.code === 'unavailable');
    if (!lost) run.unreachable.set(relation.database, message);
    fail(run, worker, relation, { code: error instanceof DoctorError && error.code === 'unreachable' ? '08006' : 'connect', message });
    return undefined;
  }
}

async function freezeOne(run: FreezeRun, worker: number, session: Session, relation: PlannedRelation): Promise<void> {
  const t0 = Date.now();
  if (!run.agesAreFresh(relation)) {
    const [now] = await session.query<{ xid_age: number; mxid_age: number }>(RELATION_AGE_SQL, [relation.oid]);
    if (!now) return fail(run, worker, relation, { code: '42P01', message: 'relation no longer exists' });
    const target = run.target!;
    if (now.xid_age <= target.xidAge && now.mxid_age <= target.mxidAge) return skip(run, worker, relation, 'already under the target (frozen by someone else since the plan)');
  }
  if (run.stopping) return void run.result.notStarted.push(relation);
  run.workers[worker] = { worker, pid: session.pid, relation, startedAt: Date.now() };
  run.emit({ type: 'relation-started', worker, pid: session.pid, relation, attempt: run.attempts.get(relation) ?? 1 });
  try {
    await session.query(relation.sql);
  } catch (error) {
    return fail(run, worker, relation, pgErrorOf(error));
  } finally {
    run.workers[worker] = { worker, pid: session.pid };
  }
  run.pagesFinished += relation.pagesToScan;
  const [after] = await session.query<{ xid_age: number; mxid_age: number }>(RELATION_AGE_SQL, [relation.oid]);
  const frozen = { relation, seconds: (Date.now() - t0) / 1000, xidAgeAfter: after?.xid_age ?? 0, mxidAgeAfter: after?.mxid_age ?? 0 };
  run.result.frozen.push(frozen);
  run.emit({ type: 'relation-frozen', worker, result: frozen });
}

function skip(run: FreezeRun, worker: number, relation: PlannedRelation, reason: string): void {
  run.pagesFinished += relation.pagesToScan;
  const skipped = { relation, reason };
  run.result.skipped.push(skipped);
  run.emit({ type: 'relation-skipped', worker, result: skipped });
}

/** A VACUUM that did not happen: put back, skipped, retried once at the end, or reported with its next step. */
function fail(run: FreezeRun, worker: number, relation: PlannedRelation, error: PgError): void {
  const advice = adviseFailure(error, relation, run.options.lockTimeoutMs);
  if (advice.kind === 'cancelled' && run.stopping) return void run.result.notStarted.push(relation);
  if (advice.kind === 'cancelled' && run.yielded.delete(relation)) return run.queue.putBack(relation);
  if (advice.kind === 'gone') {
    const skipped = { relation, reason: advice.nextStep };
    run.result.skipped.push(skipped);
    return run.emit({ type: 'relation-skipped', worker, result: skipped });
  }
  const attempt = run.attempts.get(relation) ?? 1;
  const willRetry = advice.retry && run.retry && attempt === 1;
  const failed: FailedRelation = { relation, kind: advice.kind, code: error.code, message: error.message, context: error.where, nextStep: advice.nextStep, attempts: attempt };
  run.emit({ type: 'relation-failed', worker, result: failed, willRetry });
  if (!willRetry) return void run.result.failed.push(failed);
  run.attempts.set(relation, attempt + 1);
  run.queue.retryLater(relation);
}
