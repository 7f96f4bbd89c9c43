import type { LogRecord } from '../../log-record.js';
import type { StatsRecorder } from '../read-stats.js';

/** A record's values as a format gives them (empty strings, "[unknown]" and PostgreSQL's 0 ids still to be dropped). */
export type RecordParts = LogRecord;

const TEXT_FIELDS = ['message', 'detail', 'hint', 'context', 'statement', 'query'] as const;
const NAME_FIELDS = ['sqlstate', 'user', 'database', 'application', 'client', 'backendType'] as const;

/**
 * A record from formats that carry it whole (csvlog, jsonlog, CloudNativePG): absent values dropped, fields in the
 * contract's order, and cut to `maxSize` characters of text in all.
 */
export function wholeRecord(parts: RecordParts, maxSize: number, recorder: StatsRecorder): LogRecord {
  const rec = {} as LogRecord;
  if (parts.time !== undefined && !Number.isNaN(parts.time)) rec.time = parts.time;
  if (parts.pid !== undefined && !Number.isNaN(parts.pid)) rec.pid = parts.pid;
  rec.severity = parts.severity;
  let room = maxSize;
  let cut = false;
  for (const field of TEXT_FIELDS) {
    let value = parts[field];
    if (value === undefined || (value === '' && field !== 'message')) continue;
    if (value.length > room) {
      value = value.slice(0, room);
      cut = true;
    }
    room -= value.length;
    rec[field] = value;
  }
  if (cut) recorder.cut();
  for (const field of NAME_FIELDS) {
    const value = nameValue(parts[field]);
    if (value) rec[field] = value;
  }
  if (parts.sessionLine !== undefined && !Number.isNaN(parts.sessionLine)) rec.sessionLine = parts.sessionLine;
  if (parts.virtualXid) rec.virtualXid = parts.virtualXid;
  if (parts.xid && parts.xid !== '0') rec.xid = parts.xid;
  if (parts.queryId && parts.queryId !== '0') rec.queryId = parts.queryId;
  rec.source = parts.source;
  return rec;
}

/** Empty and "[unknown]" (a connection not yet authenticated) are no value. */
export function nameValue(value: string | undefined): string | undefined {
  return value && value !== '[unknown]' ? value : undefined;
}

/** The first line of a message: what the `wants` gate sees. */
export function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl === -1 ? message : message.slice(0, nl);
}
