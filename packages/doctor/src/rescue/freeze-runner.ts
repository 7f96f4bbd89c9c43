import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { adviseFailure } from './failure-advice.js';
import { SMALL_PAGES, type FreezePlan, type PlannedRelation } from './freeze-plan.js';
import { openFreezeSession, type FreezeSession } from './freeze-session.js';
import { RELATION_AGE_SQL } from './plan-sql.js';
import { RunMonitor, type ProgressRow, type WaitRow } from './run-monitor.js';
import type { DatabaseAge, FailedRelation, FreezeRunOptions, FreezeRunResult, WorkerState } from './run-types.js';

export type { DatabaseAge, FailedRelation, FreezeEvent, FreezeRunOptions, FreezeRunResult, FrozenRelation, SkippedRelation, WorkerState } from './run-types.js';

/**
 * A relation someone else is vacuuming (usually the anti-wraparound autovacuum, throttled unless in failsafe)
 * is left to them: queueing behind their lock only waits, and our re-check of its age skips it once they are
 * done. After this long we queue for its lock anyway (lock_timeout then reports it).
 */
const DEFER_MS = 60_000;

/**
 * Carry out a freeze plan: `jobs` sessions take the relations in plan order across all databases, one
 * VACUUM per relation (so datfrozenxid moves after each), each failure reported and the rest carried on
 * with; a control session reads progress and ages, stops the run as soon as every database is under the
 * target, and cancels our own backends on abort. Nothing here needs a new XID.
 */
export async function runFreeze(conn: ConnOptions, plan: FreezePlan, options: FreezeRunOptions): Promise<FreezeRunResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const emit = options.onEvent ?? (() => {});
  const jobs = Math.max(1, options.jobs ?? plan.jobs);
  const pollMs = options.pollMs ?? 100;
  const target = plan.target;
  // Opened while the workers start: in the stop zone every millisecond before the first VACUUM counts.
  const monitorReady = RunMonitor.open(conn, options.lockTimeoutMs);
  monitorReady.catch(() => {});

  const queue = [...plan.order];
  const retries: PlannedRelation[] = [];
  let retried = false;
  const attempts = new Map<PlannedRelation, number>();
  const result: FreezeRunResult = { frozen: [], skipped: [], failed: [], notStarted: [], tookOver: [], cancelled: false, targetReached: false, before: [], after: [], seconds: 0 };
  const workers: WorkerState[] = Array.from({ length: jobs }, (_, worker) => ({ worker }));
  const sharedBusy = new Set<number>();
  const unreachable = new Map<string, string>();
  /** `database/relid` → the pid of someone else's VACUUM on it. */
  let othersBusy = new Map<string, ProgressRow>();
  const throttled = new Set<number>();
  const deferredSince = new Map<PlannedRelation, number>();
  let progress: ProgressRow[] = [];
  let stopping: 'target-reached' | 'cancelled' | undefined;
  const pagesTotal = queue.reduce((sum, r) => sum + r.pagesToScan, 0);
  let pagesFinished = 0;

  const underTarget = (ages: DatabaseAge[]) => ages.every((d) => !d.allows || (d.xid_age <= target.xidAge && d.mxid_age <= target.mxidAge));
  const inStopZone = (ages: DatabaseAge[]) => ages.some((d) => d.xid_age >= plan.limits.xid.stop || d.mxid_age >= plan.limits.mxid.stop);

  const busyPids = () => workers.filter((w) => w.relation && w.pid).map((w) => w.pid!);
  const readTick = async () => (await monitorReady).tick(busyPids());
  /** Relations whose VACUUM we cancelled to leave them to an autovacuum at full speed: put back, not failed. */
  const yielded = new Set<PlannedRelation>();
  /** Each relation is left to autovacuum once at most: after that, lock_timeout decides. */
  const yieldedOnce = new Set<PlannedRelation>();
  /**
   * A VACUUM of ours waiting behind autovacuum would only wait (and fail at lock_timeout): a throttled
   * autovacuum is cancelled so ours goes on at full speed; one at full speed (failsafe) is left to finish
   * and ours is cancelled and put back, to be skipped once autovacuum is done.
   */
  const resolveWaits = async (waits: WaitRow[]) => {
    for (const wait of waits) {
      const w = workers.find((x) => x.pid === wait.pid);
      // Only autovacuum workers that hold the lock and are at work; anything else is for lock_timeout to report.
      const working = (b: WaitRow['blockers'][number]) => b.backend_type === 'autovacuum worker' && !b.waiting;
      if (!w?.relation || wait.blockers.length === 0 || !wait.blockers.every(working)) continue;
      const slow = wait.blockers.filter((b) => throttled.has(b.pid));
      if (slow.length > 0 && options.takeOverAutovacuum !== false) {
        await (await monitorReady).cancel(slow.map((b) => b.pid));
        result.tookOver.push({ relation: w.relation, pid: slow[0]!.pid });
        emit({ type: 'takeover', relation: w.relation, pid: slow[0]!.pid });
      } else if (!yieldedOnce.has(w.relation)) {
        yielded.add(w.relation);
        yieldedOnce.add(w.relation);
        await (await monitorReady).cancel([wait.pid]);
      }
    }
  };
  // The ages the plan read: the workers start at once, without waiting for a first tick.
  result.before = plan.databases.map((d) => ({ datname: d.name, xid_age: d.xidAge, mxid_age: d.mxidAge, allows: d.allowsConnections }));
  const startedInStop = inStopZone(result.before);
  let lastAges = result.before;

  const observe = (ages: DatabaseAge[]) => {
    lastAges = ages;
    if (startedInStop && result.leftStopZoneAt === undefined && !inStopZone(ages)) result.leftStopZoneAt = elapsed();
    if (result.underTargetAt === undefined && underTarget(ages)) result.underTargetAt = elapsed();
  };

  const cancelOurs = async () => (await monitorReady).cancel(busyPids());
  const stop = (reason: 'target-reached' | 'cancelled') => {
    if (stopping) return;
    stopping = reason;
    if (reason === 'cancelled') result.cancelled = true;
    emit({ type: 'stopping', reason });
  };
  const onAbort = () => stop('cancelled');
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) stop('cancelled');

  // The control loop: progress, ages, the stop condition, and cancelling our own backends once stopping.
  let ticking = true;
  let wake: () => void = () => {};
  const ticker = (async () => {
    while (ticking) {
      if (stopping) await cancelOurs();
      try {
        const tick = await readTick();
        progress = tick.progress;
        const ours = new Set(workers.map((w) => w.pid));
        othersBusy = new Map(tick.progress.filter((p) => !ours.has(p.pid)).map((p) => [`${p.datname}/${p.relid}`, p]));
        for (const p of tick.progress) if (p.wait_event === 'VacuumDelay' && p.backend_type === 'autovacuum worker') throttled.add(p.pid);
        if (!stopping) await resolveWaits(tick.waits);
        observe(tick.databases);
        if (underTarget(tick.databases) && !stopping) stop('target-reached');
        for (const w of workers) {
          const p = w.pid ? progress.find((row) => row.pid === w.pid) : undefined;
          Object.assign(w, { phase: p?.phase, scanned: p?.scanned, total: p?.total, waiting: tick.waits.some((x) => x.pid === w.pid) });
        }
        const inFlight = workers.reduce((sum, w) => sum + (w.relation ? Math.min(w.scanned ?? 0, w.relation.pagesToScan) : 0), 0);
        const pagesDone = pagesFinished + inFlight;
        const rate = pagesDone / Math.max(elapsed(), 1e-3);
        emit({
          type: 'tick',
          elapsed: elapsed(),
          workers: workers.map((w) => ({ ...w })),
          databases: tick.databases,
          pagesDone,
          pagesTotal,
          etaSeconds: elapsed() > 0.5 && rate > 0 ? Math.max(0, pagesTotal - pagesDone) / rate : undefined,
        });
      } catch {
        // Progress is best effort: the monitor reopens a lost session, the workers go on regardless.
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  })();

  /**
   * The next relation a worker may start, waiting while everything left is being vacuumed by someone else.
   * A small one of the worker's own database goes before a small one elsewhere in the same zone: it costs
   * less than a new session.
   */
  const take = async (database: string | undefined): Promise<PlannedRelation | undefined> => {
    for (;;) {
      if (stopping) return undefined;
      if (queue.length === 0 && retries.length > 0 && !retried) {
        retried = true;
        queue.push(...retries.splice(0));
      }
      if (queue.length === 0) return undefined;
      const eligible = (r: PlannedRelation) => {
        if (r.shared && sharedBusy.has(r.oid)) return false;
        if (!othersBusy.has(`${r.database}/${r.oid}`)) return true;
        const since = deferredSince.get(r) ?? Date.now();
        deferredSince.set(r, since);
        return Date.now() - since > DEFER_MS;
      };
      let index = queue.findIndex(eligible);
      const head = queue[index];
      if (head && head.database !== database && head.pagesToScan < SMALL_PAGES) {
        const local = queue.findIndex((r) => r.database === database && r.tier === head.tier && r.pagesToScan < SMALL_PAGES && eligible(r));
        if (local >= 0) index = local;
      }
      if (index >= 0) return queue.splice(index, 1)[0];
      const taken = await takeOver();
      if (taken) return taken;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, 50)));
    }
  };

  /** Nothing else to do: cancel a throttled autovacuum worker on one of our relations and take that relation. */
  const takeOver = async (): Promise<PlannedRelation | undefined> => {
    if (options.takeOverAutovacuum === false) return undefined;
    const index = queue.findIndex((r) => {
      const other = othersBusy.get(`${r.database}/${r.oid}`);
      return other !== undefined && throttled.has(other.pid) && !(r.shared && sharedBusy.has(r.oid));
    });
    if (index < 0) return undefined;
    const relation = queue.splice(index, 1)[0]!;
    const other = othersBusy.get(`${relation.database}/${relation.oid}`)!;
    othersBusy.delete(`${relation.database}/${relation.oid}`);
    await (await monitorReady).cancel([other.pid]);
    result.tookOver.push({ relation, pid: other.pid });
    emit({ type: 'takeover', relation, pid: other.pid });
    return relation;
  };

  const fail = (worker: number, relation: PlannedRelation, error: { code?: string; message?: string; where?: string }) => {
    const advice = adviseFailure(error, relation, options.lockTimeoutMs);
    const attempt = attempts.get(relation) ?? 1;
    if (stopping && advice.kind === 'cancelled') {
      result.notStarted.push(relation);
      return;
    }
    if (advice.kind === 'cancelled' && yielded.delete(relation)) {
      // Left to autovacuum: back to the front, started again (and skipped) once autovacuum is done with it.
      deferredSince.set(relation, Date.now());
      queue.unshift(relation);
      return;
    }
    if (advice.kind === 'gone') {
      const skipped = { relation, reason: advice.nextStep };
      result.skipped.push(skipped);
      emit({ type: 'skipped', worker, result: skipped });
      return;
    }
    const willRetry = advice.retry && options.retry !== false && !retried && attempt === 1;
    const failed: FailedRelation = {
      relation,
      kind: advice.kind,
      code: error.code,
      message: (error.message ?? 'unknown error').split('\n')[0]!,
      context: error.where?.split('\n')[0],
      nextStep: advice.nextStep,
      attempts: attempt,
    };
    emit({ type: 'failed', worker, result: failed, willRetry });
    if (willRetry) {
      attempts.set(relation, attempt + 1);
      retries.push(relation);
    } else result.failed.push(failed);
  };

  const freezeOne = async (worker: number, session: FreezeSession, relation: PlannedRelation) => {
    const t0 = Date.now();
    const [now] = await session.query<{ xid_age: number; mxid_age: number }>(RELATION_AGE_SQL, [relation.oid]);
    if (!now) return fail(worker, relation, { code: '42P01', message: 'relation no longer exists' });
    if (now.xid_age <= target.xidAge && now.mxid_age <= target.mxidAge) {
      const skipped = { relation, reason: 'already under the target (frozen by someone else since the plan)' };
      pagesFinished += relation.pagesToScan;
      result.skipped.push(skipped);
      emit({ type: 'skipped', worker, result: skipped });
      return;
    }
    if (stopping) return void result.notStarted.push(relation);
    workers[worker] = { worker, pid: session.pid, relation, startedAt: Date.now() };
    emit({ type: 'start', worker, pid: session.pid, relation, attempt: attempts.get(relation) ?? 1 });
    try {
      await session.query(relation.sql);
    } catch (error) {
      workers[worker] = { worker, pid: session.pid };
      return fail(worker, relation, error as { code?: string; message?: string; where?: string });
    }
    workers[worker] = { worker, pid: session.pid };
    pagesFinished += relation.pagesToScan;
    const [after] = await session.query<{ xid_age: number; mxid_age: number }>(RELATION_AGE_SQL, [relation.oid]);
    const frozen = { relation, seconds: (Date.now() - t0) / 1000, xidAgeAfter: after?.xid_age ?? 0, mxidAgeAfter: after?.mxid_age ?? 0 };
    result.frozen.push(frozen);
    emit({ type: 'frozen', worker, result: frozen });
  };

  const work = async (worker: number) => {
    let session: FreezeSession | undefined;
    try {
      for (let relation = await take(undefined); relation; relation = await take(session?.database)) {
        const problem = unreachable.get(relation.database);
        if (problem) {
          fail(worker, relation, { code: 'connect', message: problem });
          continue;
        }
        if (relation.shared) sharedBusy.add(relation.oid);
        try {
          if (!session || session.database !== relation.database || session.broken) {
            await session?.close();
            session = undefined;
            try {
              session = await openFreezeSession(conn, relation.database, { lockTimeoutMs: options.lockTimeoutMs });
              workers[worker] = { worker, pid: session.pid };
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              if (error instanceof DoctorError && error.code !== 'unreachable' && error.code !== 'unavailable') unreachable.set(relation.database, message);
              fail(worker, relation, { code: error instanceof DoctorError && error.code === 'unreachable' ? '08006' : 'connect', message });
              continue;
            }
          }
          try {
            await freezeOne(worker, session, relation);
          } catch (error) {
            // The age reads around the VACUUM failed: the session is in doubt, use a new one.
            fail(worker, relation, error as { code?: string; message?: string });
            await session.close();
            session = undefined;
          }
        } finally {
          if (relation.shared) sharedBusy.delete(relation.oid);
        }
      }
    } finally {
      workers[worker] = { worker };
      await session?.close();
    }
  };

  try {
    await Promise.all(workers.map((_, i) => work(i)));
  } finally {
    ticking = false;
    wake();
    options.signal?.removeEventListener('abort', onAbort);
    await ticker.catch(() => {});
    try {
      observe((await readTick()).databases);
    } catch {
      // keep the last ages read
    }
    await (await monitorReady).close();
  }
  result.notStarted.push(...queue.splice(0), ...retries.splice(0));
  result.after = lastAges;
  result.targetReached = underTarget(lastAges);
  result.seconds = elapsed();
  return result;
}

