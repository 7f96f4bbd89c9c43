import type { Origin } from '../engine/finding.js';

/** The classes `logs` reports: a stable id each (the --json "class"). */
export type LogEventClass =
  | 'deadlock'
  | 'lock-wait'
  | 'lock-timeout'
  | 'statement-timeout'
  | 'idle-in-transaction-timeout'
  | 'serialization-failure'
  | 'autovacuum'
  | 'autoanalyze'
  | 'autovacuum-cancel'
  | 'vacuum-skipped'
  | 'wraparound-warning'
  | 'wraparound-stop'
  | 'multixact-wraparound'
  | 'failsafe'
  | 'checksum-failure'
  | 'clog-missing'
  | 'temp-file'
  | 'slow-statement'
  | 'connection-lost-in-transaction';

/**
 * One classified fault in a log. `fields` carries what the class knows (e.g. for autovacuum: pages, tuples removed,
 * not yet removable, removable cutoff and its age …; for a deadlock: the processes, their locks and queries).
 */
export interface LogEvent {
  class: LogEventClass;
  /** Epoch ms, when the log has times. */
  time?: number;
  pid?: number;
  severity: 'critical' | 'warning' | 'info';
  database?: string;
  user?: string;
  /** The relation the event is about, as the log names it. */
  relation?: string;
  /** One line for a human. */
  summary: string;
  /** Class-specific facts, stable keys in snake_case. */
  fields: Record<string, unknown>;
  /** The application code, from application_name tags or sqlcommenter/marginalia comments. */
  origin?: Origin;
  /** Where in the log. */
  source: { file: string; line: number };
}
