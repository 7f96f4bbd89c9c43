import type { Severity } from '../../engine/finding.js';
import type { StatementSummary } from '../classify/statement-stats.js';
import type { LogEvent, LogEventClass } from '../log-event.js';
import type { ReadStats } from '../read/read-stats.js';
import type { HorizonHolder } from './horizon-suspects.js';

/** What a log says, summed up: the report every renderer draws from (and the "summary" of --json). */
export interface LogSummary {
  /** ISO 8601 times of the first and last event, when the log has times. */
  from?: string;
  to?: string;
  events: number;
  by_class: Partial<Record<LogEventClass, number>>;
  by_severity: Record<Severity, number>;
  /** Events per hour, by class. */
  timeline: { hour: string; counts: Partial<Record<LogEventClass, number>> }[];
  /** Deadlocks grouped by where they happened and which code took part. */
  deadlocks: { relation: string; origins: string[]; count: number; last_time?: string; example_queries: string[] }[];
  /** The longest lock waits, with what held the lock. */
  lock_waits: { after_ms: number; state: string; lock_mode: string; object: string; relation?: string; holders: number[]; queue: number[]; pid?: number; time?: string; statement?: string }[];
  /** Tables whose (auto)vacuum left dead tuples it could not remove: a horizon held them. */
  vacuum_left_behind: {
    database?: string;
    relation: string;
    runs: number;
    not_removable_max: number;
    not_removable_total: number;
    cutoff_age_max?: number;
    last_time?: string;
    /** The sessions the log shows with a transaction open at the last such vacuum: what likely held the horizon. */
    held_by?: HorizonHolder[];
  }[];
  /** "must be vacuumed within N transactions", per database over time. */
  wraparound: { database: string; first_time?: string; last_time?: string; remaining_first: number; remaining_last: number; warnings: number }[];
  /** Corruption and the stop zone, first of all: every such event (at most 100). */
  urgent: LogEvent[];
  statements: StatementSummary;
  read: ReadStats;
  /** 2 with corruption or a stop-zone error, 1 with warnings, else 0 (as `check`). */
  exit_code: 0 | 1 | 2;
}

export const URGENT_CLASSES: ReadonlySet<LogEventClass> = new Set(['checksum-failure', 'clog-missing', 'wraparound-stop', 'multixact-wraparound']);
