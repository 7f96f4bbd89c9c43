import type { DoctorErrorCode } from '../../connect/doctor-error.js';
import type { StatementStatsState } from '../classify/statement-stats.js';
import type { LogEvent, LogEventClass } from '../log-event.js';
import type { LogFormat } from '../log-record.js';
import type { ByteRange } from '../read/read-file-range.js';
import type { ReadStats } from '../read/read-stats.js';
import type { SummarizerState } from '../report/summarize-events.js';

/** The options a worker reads with: AnalyzeOptions without what cannot cross a thread (functions, streams, signals). */
export interface WorkerOptions {
  prefix?: string;
  format?: LogFormat;
  timezone?: string;
  maxRecordBytes?: number;
  year?: number;
  slowMs?: number;
  classes?: ReadonlySet<LogEventClass>;
  since?: number;
  maxEvents?: number;
}

/** One piece of work: a whole file, or a byte range of one (see splitLog). */
export interface WorkUnit {
  file: string;
  range?: ByteRange;
}

export interface WorkRequest {
  unit: WorkUnit;
  options: WorkerOptions;
}

/** What a worker found in its unit, as plain data. */
export interface WorkPart {
  events: LogEvent[];
  eventsNotKept: number;
  summarizer: SummarizerState;
  statements: StatementStatsState;
  read: ReadStats;
}

export type WorkReply = { ok: true; part: WorkPart } | { ok: false; code: DoctorErrorCode; message: string };
