import type { LogEvent, LogEventClass } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { originOf } from './origin.js';

/**
 * Severity per class. Critical: what loses or already lost data, or stops writes (exit code 2). Warning: what
 * failed work or points at a fault in the making. Info: what is normal on its own and matters in numbers.
 * A few classes raise or lower one event (an autovacuum that left more dead tuples than it removed, a
 * multixact warning against a multixact stop): the builders pass their own.
 */
export const CLASS_SEVERITY: Readonly<Record<LogEventClass, LogEvent['severity']>> = Object.freeze({
  deadlock: 'warning',
  'lock-wait': 'info',
  'lock-timeout': 'warning',
  'statement-timeout': 'warning',
  'idle-in-transaction-timeout': 'warning',
  'serialization-failure': 'info',
  autovacuum: 'info',
  autoanalyze: 'info',
  'autovacuum-cancel': 'info',
  'vacuum-skipped': 'info',
  'wraparound-warning': 'warning',
  'wraparound-stop': 'critical',
  'multixact-wraparound': 'warning',
  failsafe: 'warning',
  'checksum-failure': 'critical',
  'clog-missing': 'critical',
  'temp-file': 'info',
  'slow-statement': 'info',
  'connection-lost-in-transaction': 'warning',
});

export interface EventParts {
  summary: string;
  fields: Record<string, unknown>;
  severity?: LogEvent['severity'];
  relation?: string;
  /** When the message names the database itself (autovacuum, wraparound); else the record's %d. */
  database?: string;
  /** Texts that may carry a sqlcommenter/marginalia comment; the record's STATEMENT and query by default. */
  originTexts?: readonly (string | undefined)[];
}

export function makeEvent(record: LogRecord, cls: LogEventClass, parts: EventParts): LogEvent {
  const event: LogEvent = {
    class: cls,
    severity: parts.severity ?? CLASS_SEVERITY[cls],
    summary: parts.summary,
    fields: parts.fields,
    source: record.source,
  };
  if (record.time !== undefined) event.time = record.time;
  if (record.pid !== undefined) event.pid = record.pid;
  const database = parts.database ?? record.database;
  if (database) event.database = database;
  if (record.user) event.user = record.user;
  if (parts.relation) event.relation = parts.relation;
  const origin = originOf(record.application, parts.originTexts ?? [record.statement, record.query]);
  if (origin) event.origin = origin;
  return event;
}

/** Longest statement text an event carries; generated SQL can run to megabytes. */
export const MAX_STATEMENT_CHARS = 65_536;

/**
 * A statement as an event carries it: PASSWORD '…' of CREATE/ALTER ROLE replaced (a log analysis must not
 * spread secrets), and cut at MAX_STATEMENT_CHARS.
 */
export function statementText(text: string): string {
  const cut = text.length > MAX_STATEMENT_CHARS ? `${text.slice(0, MAX_STATEMENT_CHARS)}…` : text;
  return /password/i.test(cut) ? cut.replace(/\b(PASSWORD\s+)'(?:[^']|'')*'/gi, "$1'***'") : cut;
}
