import type { FailureKind } from './failure-advice.js';
import type { PlannedRelation } from './freeze-plan.js';

export interface FreezeRunOptions {
  /** Sessions in parallel across all databases. */
  jobs: number;
  /** lock_timeout of the VACUUM sessions, in ms. */
  lockTimeoutMs: number;
  /** How often the control session reads progress and database ages, in ms. Default 100. */
  pollMs?: number;
  /**
   * When nothing else is left, a relation that an autovacuum worker is vacuuming with cost delays is taken
   * over: that worker is cancelled (pg_cancel_backend; autovacuum goes on with its next table) and the
   * relation frozen at full speed. Default true; false leaves autovacuum alone and waits for it.
   */
  takeOverAutovacuum?: boolean;
  /** Retry a relation that failed on a lock or a lost session once, at the end. Default true. */
  retry?: boolean;
  /** Aborting it (Ctrl-C) cancels our own running VACUUMs and ends the run. */
  signal?: AbortSignal;
  onEvent?: (event: FreezeEvent) => void;
}

/** Age of one database, as the control session last read it. */
export interface DatabaseAge {
  datname: string;
  xid_age: number;
  mxid_age: number;
  /** datallowconn: a database that refuses connections (template0) is left to autovacuum. */
  allows: boolean;
}

/** What one worker is doing. */
export interface WorkerState {
  worker: number;
  pid?: number;
  relation?: PlannedRelation;
  /** From pg_stat_progress_vacuum. */
  phase?: string;
  scanned?: number;
  total?: number;
  /** Its VACUUM waits for a lock (it shows no progress then). */
  waiting?: boolean;
  startedAt?: number;
}

export interface FrozenRelation {
  relation: PlannedRelation;
  seconds: number;
  xidAgeAfter: number;
  mxidAgeAfter: number;
}

export interface SkippedRelation {
  relation: PlannedRelation;
  reason: string;
}

export interface FailedRelation {
  relation: PlannedRelation;
  kind: FailureKind;
  code?: string;
  message: string;
  /** The server's CONTEXT line, e.g. "while scanning block 40 of relation …". */
  context?: string;
  nextStep: string;
  attempts: number;
}

/** What a run reports as it goes: renderers, the demo and the daemon consume these, never text. */
export type FreezeEvent =
  | { type: 'work-added'; relations: PlannedRelation[]; final: boolean; target: { xidAge: number; mxidAge: number } }
  | { type: 'relation-started'; worker: number; pid: number; relation: PlannedRelation; attempt: number }
  | { type: 'relation-frozen'; worker: number; result: FrozenRelation }
  | { type: 'relation-skipped'; worker: number; result: SkippedRelation }
  | { type: 'relation-failed'; worker: number; result: FailedRelation; willRetry: boolean }
  | { type: 'autovacuum-taken-over'; relation: PlannedRelation; pid: number }
  | { type: 'left-stop-zone'; database: string; seconds: number }
  | { type: 'progress'; elapsed: number; workers: WorkerState[]; databases: DatabaseAge[]; pagesDone: number; pagesTotal: number; etaSeconds?: number }
  /** `running`: our VACUUMs in progress at that moment (cancelled with the run). */
  | { type: 'stopping'; reason: 'target-reached' | 'cancelled'; running: number };

export interface FreezeRunResult {
  frozen: FrozenRelation[];
  skipped: SkippedRelation[];
  failed: FailedRelation[];
  /** Planned but never started (the target was reached first, or the run was cancelled). */
  notStarted: PlannedRelation[];
  /** Throttled autovacuum workers cancelled so that we froze their relation at full speed. */
  tookOver: { relation: PlannedRelation; pid: number }[];
  cancelled: boolean;
  /** Every database that accepts connections under the target age (XID and MultiXact) at the end. */
  targetReached: boolean;
  before: DatabaseAge[];
  after: DatabaseAge[];
  seconds: number;
  /** Seconds until no database was in the stop zone any more, when one was at the start. */
  leftStopZoneAt?: number;
  /** Each database that started in the stop zone and left it, with when. */
  stopZoneExits: { database: string; seconds: number }[];
  /** Seconds until every database was under the target, when that happened. */
  underTargetAt?: number;
}
