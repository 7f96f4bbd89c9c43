/**
 * One server log entry as every format gives it (stderr with any log_line_prefix, csvlog, jsonlog, syslog, the
 * managed-service shapes): the main line with its DETAIL, HINT, CONTEXT and STATEMENT lines of the same process
 * folded in. Fields the format or the prefix does not carry are absent.
 */
export interface LogRecord {
  /** Epoch ms. */
  time?: number;
  pid?: number;
  /** LOG, ERROR, FATAL, PANIC, WARNING, NOTICE, INFO, DEBUG1…5. */
  severity: string;
  /** The message, without the prefix and the severity; multi-line messages keep their "\n". */
  message: string;
  detail?: string;
  hint?: string;
  context?: string;
  /** The STATEMENT line (the statement of an error). */
  statement?: string;
  /** csvlog/jsonlog's internal query, when the error was inside one. */
  query?: string;
  sqlstate?: string;
  user?: string;
  database?: string;
  /** application_name (%a), where @mvcc-doctor/pg's tags put the origin. */
  application?: string;
  client?: string;
  backendType?: string;
  /** %l: the line number within the session. */
  sessionLine?: number;
  virtualXid?: string;
  xid?: string;
  queryId?: string;
  /** Where the record starts: the file (or "-") and its line number, 1-based. */
  source: { file: string; line: number };
}

/** Formats the reader recognises. */
export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog' | 'syslog' | 'cloudsql' | 'cnpg' | 'logplex';
