import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { parseDurationLine } from './duration-line.js';
import { formatBytes, formatMs } from './format.js';
import { makeEvent, statementText } from './make-event.js';
import type { StatementStats } from './statement-stats.js';

/** Default --slow: a statement logged with its duration becomes an event from this many milliseconds. */
export const DEFAULT_SLOW_MS = 500;

/**
 * A "duration: …" record: counted in `stats` (when given) whatever its length, and a slow-statement event
 * only from `slowMs`, so a log with every statement in it does not turn into millions of events.
 */
export function durationEvent(record: LogRecord, slowMs: number, stats: StatementStats | undefined): LogEvent | undefined {
  const line = parseDurationLine(record.message);
  if (!line) return undefined;
  let text = line.text;
  if (text === undefined && line.kind === 'none' && record.pid !== undefined) text = stats?.take(record.pid);
  const slow = line.ms >= slowMs;
  if (!stats && !slow) return undefined;
  stats?.add(line.ms, text, record.application);
  if (!slow) return undefined;
  const fields: Record<string, unknown> = { duration_ms: line.ms, kind: line.kind };
  if (line.name !== undefined) fields.prepared_name = line.name;
  if (text !== undefined) fields.statement = statementText(text);
  if (line.truncated) fields.truncated = true;
  const parameters = record.detail ? /^parameters: ([\s\S]*)$/.exec(record.detail) : null;
  if (parameters) fields.parameters = statementText(parameters[1] ?? '');
  const head = text === undefined ? '' : `: ${oneLine(statementText(text), 80)}`;
  const event = makeEvent(record, 'slow-statement', { summary: `statement took ${formatMs(line.ms)}${head}`, fields, originTexts: [text] });
  return event;
}

/** A statement logged by log_statement ("statement: …", "execute <name>: …"), kept for the next bare duration. */
export function rememberStatement(record: LogRecord, stats: StatementStats): void {
  if (record.pid === undefined) return;
  const message = record.message;
  const colon = message.indexOf(': ');
  if (colon < 0) return;
  stats.remember(record.pid, message.slice(colon + 2));
}

// fd.c, with log_temp_files: "temporary file: path \"%s\", size %lu".
const TEMP_FILE = /^temporary file: path "([^"]+)", size (\d+)/;

export function tempFileEvent(record: LogRecord): LogEvent | undefined {
  const match = TEMP_FILE.exec(record.message);
  if (!match) return undefined;
  const size = Number(match[2]);
  const fields: Record<string, unknown> = { file: match[1], size_bytes: size };
  if (record.statement) fields.statement = statementText(record.statement);
  return makeEvent(record, 'temp-file', { summary: `temporary file of ${formatBytes(size)} written`, fields });
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
