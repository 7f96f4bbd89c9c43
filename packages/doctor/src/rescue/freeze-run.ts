import type { Session } from '../connect/safe-session.js';
import type { FreezePlan, PlannedRelation } from './freeze-plan.js';
import { FreezeQueue } from './freeze-queue.js';
import type { ProgressRow, RunMonitor } from './run-monitor.js';
import type { DatabaseAge, FreezeEvent, FreezeRunOptions, FreezeRunResult, WorkerState } from './run-types.js';

/** Relations to freeze, and what "done" means for them. */
export interface FreezeWork {
  /** In the order they should start. */
  relations: readonly PlannedRelation[];
  /** Ages to bring every database under. */
  target: FreezePlan['target'];
  limits: FreezePlan['limits'];
  /** Database ages when the work was planned; the run's "before" is the first it is given. */
  databases: readonly DatabaseAge[];
  /** No more work will come: the run stops once every database is under this target. */
  final: boolean;
  /** Open rescue sessions the workers may take over (those that read this work). */
  sessions?: readonly Session[];
  /**
   * The VACUUMs running when this work was read: workers may start on it at once instead of waiting for the
   * control loop's first look (see FreezeQueue.take).
   */
  progress?: readonly ProgressRow[];
  /** The relations' ages were read a moment ago (the stop-zone read): see FreezeRun.agesAreFresh. */
  agesJustRead?: boolean;
}

/** How long ages read with the work stand in for the look a worker takes right before each VACUUM. */
const FRESH_AGES_MS = 1000;

/**
 * The state of one freeze run, in one place: the queue, what each worker does, the result so far, and the
 * stop condition. Workers and the control loop read and change it; they wait on `pulse` for news.
 */
export class FreezeRun {
  readonly queue = new FreezeQueue();
  readonly workers: WorkerState[];
  readonly result: FreezeRunResult = { frozen: [], skipped: [], failed: [], notStarted: [], tookOver: [], cancelled: false, targetReached: false, before: [], after: [], seconds: 0, stopZoneExits: [] };
  readonly attempts = new Map<PlannedRelation, number>();
  /** Relations whose VACUUM we cancelled to leave them to an autovacuum at full speed: put back, not failed. */
  readonly yielded = new Set<PlannedRelation>();
  /** Each relation is left to autovacuum once at most: after that, lock_timeout decides. */
  readonly yieldedOnce = new Set<PlannedRelation>();
  /** Databases we may not enter, with why: their relations fail at once. */
  readonly unreachable = new Map<string, string>();
  target?: FreezePlan['target'];
  limits?: FreezePlan['limits'];
  /** No more work will be added. */
  final = false;
  retry: boolean;
  stopping?: 'target-reached' | 'cancelled';
  /** Open rescue sessions no worker uses yet. */
  readonly spareSessions: Session[] = [];
  pagesTotal = 0;
  pagesFinished = 0;
  private readonly startedAt = Date.now();
  private waiters: (() => void)[] = [];
  private ages: readonly DatabaseAge[] = [];
  private readonly inStopZoneAtStart = new Set<string>();
  private readonly agesReadAt = new Map<PlannedRelation, number>();

  private monitorSession?: Promise<RunMonitor>;
  private markStarted: () => void = () => {};
  /** Resolves once there is work (or the run ends without any). */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    readonly options: FreezeRunOptions,
    private readonly openMonitor: () => Promise<RunMonitor>,
  ) {
    this.workers = Array.from({ length: Math.max(1, options.jobs) }, (_, worker) => ({ worker }));
    this.retry = options.retry !== false;
  }

  /** The control session, opened on first use: before there is work it would only compete with reading it. */
  get monitor(): Promise<RunMonitor> {
    if (!this.monitorSession) {
      this.monitorSession = this.openMonitor();
      this.monitorSession.catch(() => {});
    }
    return this.monitorSession;
  }

  /** Whether the control session was ever opened (it then needs closing). */
  get hasMonitor(): boolean {
    return this.monitorSession !== undefined;
  }

  add(work: FreezeWork): void {
    if (this.result.before.length === 0) {
      this.result.before = work.databases.map((d) => ({ ...d }));
      for (const d of work.databases) if (this.isInStopZone(d, work.limits)) this.inStopZoneAtStart.add(d.datname);
      this.ages = work.databases;
    }
    this.target = work.target;
    this.limits = work.limits;
    this.final ||= work.final;
    this.spareSessions.push(...(work.sessions ?? []));
    if (work.progress) this.queue.noteOthers(work.progress, new Set(this.workers.map((w) => w.pid)));
    const added = this.queue.add(work.relations);
    const readAt = Date.now();
    if (work.agesJustRead) for (const r of added) this.agesReadAt.set(r, readAt);
    this.pagesTotal += added.reduce((sum, r) => sum + r.pagesToScan, 0);
    this.emit({ type: 'work-added', relations: added, final: work.final, target: work.target });
    this.pulse();
  }

  /**
   * Whether a relation's ages were read so recently that reading them again before its VACUUM would only cost a
   * round trip: in the stop zone, the one before the VACUUM that takes a database out (2 ms of ~150 on 2 cores).
   */
  agesAreFresh(relation: PlannedRelation): boolean {
    const readAt = this.agesReadAt.get(relation);
    return readAt !== undefined && Date.now() - readAt < FRESH_AGES_MS;
  }

  emit(event: FreezeEvent): void {
    this.options.onEvent?.(event);
  }

  elapsed(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  busyPids(): number[] {
    return this.workers.filter((w) => w.relation && w.pid).map((w) => w.pid!);
  }

  /** New database ages: note zone exits and whether the target is reached. */
  observe(ages: readonly DatabaseAge[]): void {
    this.ages = ages;
    const limits = this.limits;
    if (!limits) return;
    for (const d of ages) {
      if (!this.inStopZoneAtStart.has(d.datname) || this.isInStopZone(d, limits) || this.result.stopZoneExits.some((e) => e.database === d.datname)) continue;
      const exit = { database: d.datname, seconds: this.elapsed() };
      this.result.stopZoneExits.push(exit);
      this.emit({ type: 'left-stop-zone', ...exit });
    }
    if (this.inStopZoneAtStart.size > 0 && this.result.leftStopZoneAt === undefined && !ages.some((d) => this.isInStopZone(d, limits))) this.result.leftStopZoneAt = this.elapsed();
    if (this.final && this.result.underTargetAt === undefined && this.underTarget()) this.result.underTargetAt = this.elapsed();
    if (this.final && this.underTarget()) this.stop('target-reached');
  }

  /** Every database that accepts connections is under the target. */
  underTarget(): boolean {
    const target = this.target;
    return target !== undefined && this.ages.every((d) => !d.allows || (d.xid_age <= target.xidAge && d.mxid_age <= target.mxidAge));
  }

  stop(reason: 'target-reached' | 'cancelled'): void {
    if (this.stopping) return;
    this.stopping = reason;
    if (reason === 'cancelled') this.result.cancelled = true;
    // The backends the control loop cancels: a worker still connecting runs no VACUUM yet.
    this.emit({ type: 'stopping', reason, running: this.busyPids().length });
    this.pulse();
  }

  /** Wake every worker waiting for news (work added, a relation done, the run stopping). */
  pulse(): void {
    if (this.final || this.pagesTotal > 0 || this.queue.hasWork) this.markStarted();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once everything added so far has been started and finished (or the run stops). */
  async idle(): Promise<void> {
    while (!this.stopping && (!this.queue.isEmpty(false) || this.queue.anyInHand)) await this.waitForPulse(50);
  }

  /** Until the next pulse, or `ms` at most. */
  waitForPulse(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A spare session in `database`, taken out of the spares. */
  takeSpare(database: string): Session | undefined {
    const index = this.spareSessions.findIndex((s) => s.database === database && !s.broken);
    return index < 0 ? undefined : this.spareSessions.splice(index, 1)[0];
  }

  /** The result once every worker is done. */
  settle(): FreezeRunResult {
    this.result.notStarted.push(...this.queue.drain());
    this.result.after = this.ages.map((d) => ({ ...d }));
    this.result.targetReached = this.underTarget();
    this.result.seconds = this.elapsed();
    return this.result;
  }

  private isInStopZone(d: DatabaseAge, limits: FreezePlan['limits']): boolean {
    return d.xid_age >= limits.xid.stop || d.mxid_age >= limits.mxid.stop;
  }
}
