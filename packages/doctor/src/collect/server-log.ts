import { Readable } from 'node:stream';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import { classifyRecord } from '../logs/classify/classify-record.js';
import type { DeadlockProcess } from '../logs/classify/lock-events.js';
import type { LogEvent } from '../logs/log-event.js';
import type { LogFormat } from '../logs/log-record.js';
import { readLogRecords } from '../logs/read/read-log-records.js';
import { parseZoneOption } from '../logs/read/time/log-time.js';
import type { Skip, Snapshot } from './snapshot.js';

/** The tail of the server log read through SQL, as classified events (the same ones `mvcc-doctor logs` finds). */
export interface ServerLogRead {
  /** pg_current_logfile() of the format read. */
  file: string;
  format: LogFormat;
  /** Bytes of the file read: its last TAIL_BYTES at most. */
  bytes_read: number;
  file_bytes: number;
  /** Epoch ms: events before it were left out (an event without a time is kept: the tail bounds it). */
  since: number;
  deadlocks: LogEvent[];
  serialization_failures: LogEvent[];
}

/** How much of the current log file is read: enough for days of deadlock reports, bounded for a busy server. */
export const TAIL_BYTES = 16 * 1024 * 1024;

export const SERVER_LOG_PRIVILEGE =
  'needs superuser, or pg_read_server_files with EXECUTE on pg_read_binary_file(text, bigint, bigint, boolean) (and logging_collector on)';

/**
 * Reads the last TAIL_BYTES of the server log — the file PostgreSQL itself names with pg_current_logfile() (so only
 * with logging_collector on) — with pg_read_binary_file, and classifies it with the log library: deadlock reports
 * (processes, the lock each waited for, their queries and app origins) and serialization failures since `since`.
 * csvlog is preferred (every record has its database and application), then jsonlog, then stderr with the server's
 * own log_line_prefix. What cannot be read is a Skip with the reason, never an error.
 */
export async function readServerLog(session: Session, versionNum: number, since: number): Promise<ServerLogRead | Skip> {
  const skip = (reason: string): Skip => ({ what: 'server-log', reason });
  const [setup] = await session.query<{ collector: string; destinations: string; prefix: string; timezone: string; may_read: boolean }>(
    `SELECT current_setting('logging_collector') AS collector, current_setting('log_destination') AS destinations,
       current_setting('log_line_prefix') AS prefix, current_setting('log_timezone') AS timezone,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         OR (pg_has_role(current_user, 'pg_read_server_files', 'USAGE')
             AND has_function_privilege('pg_read_binary_file(text, bigint, bigint, boolean)', 'EXECUTE')) AS may_read`,
  );
  if (setup!.collector !== 'on') return skip(`logging_collector is off, so PostgreSQL cannot name its log file (read it with: mvcc-doctor logs FILE)`);
  if (!setup!.may_read) return skip(SERVER_LOG_PRIVILEGE);
  const format = pickFormat(setup!.destinations, versionNum);
  try {
    const path = await currentLogfile(session, format);
    if (!path) return skip(`pg_current_logfile('${format}') names no file (is the logging collector writing ${format}?)`);
    // pg_ls_logdir (pg_monitor) gives the size without pg_stat_file's superuser-only default.
    const [file] = await session.query<{ size: number | null }>(`SELECT (SELECT size FROM pg_ls_logdir() WHERE name = regexp_replace($1, '^.*/', ''))::int8 AS size`, [path]);
    const size = file?.size ?? 0;
    const offset = Math.max(0, size - TAIL_BYTES);
    const [data] = await session.query<{ bytes: Buffer | null }>(`SELECT pg_read_binary_file($1, $2, $3, true) AS bytes`, [path, offset, size - offset]);
    const bytes = data?.bytes ?? Buffer.alloc(0);
    // A tail starts inside a line: start at the next one.
    const start = offset > 0 ? bytes.indexOf(10) + 1 : 0;
    const events = await classify(bytes.subarray(start), format, setup!.prefix, setup!.timezone, since);
    await nameDatabases(session, events.deadlocks);
    return { file: path, format, bytes_read: bytes.length, file_bytes: size, since, ...events };
  } catch (error) {
    if (error instanceof DoctorError && error.code !== 'unreachable') return skip(error.code === 'privilege' ? `${error.message}: ${SERVER_LOG_PRIVILEGE}` : error.message);
    throw error;
  }
}

/**
 * pg_current_logfile(), or, where the role may not call it (PostgreSQL 14 and older grant it to no one), the file it
 * reads: current_logfiles in the data directory ("stderr log/postgresql.log"), read with the function we need anyway.
 */
async function currentLogfile(session: Session, format: LogFormat): Promise<string | null> {
  try {
    const [row] = await session.query<{ path: string | null }>(`SELECT pg_current_logfile($1) AS path`, [format]);
    return row?.path ?? null;
  } catch (error) {
    if (!(error instanceof DoctorError) || error.code !== 'privilege') throw error;
  }
  const [row] = await session.query<{ bytes: Buffer | null }>(`SELECT pg_read_binary_file('current_logfiles', 0, 65536, true) AS bytes`);
  const line = (row?.bytes ?? Buffer.alloc(0)).toString('utf8').split('\n').find((l) => l.startsWith(`${format} `));
  return line ? line.slice(format.length + 1) : null;
}

function pickFormat(destinations: string, versionNum: number): LogFormat {
  const list = destinations.split(',').map((d) => d.trim());
  if (list.includes('csvlog')) return 'csvlog';
  if (versionNum >= 150000 && list.includes('jsonlog')) return 'jsonlog';
  return 'stderr';
}

async function classify(bytes: Buffer, format: LogFormat, prefix: string, timezone: string, since: number): Promise<{ deadlocks: LogEvent[]; serialization_failures: LogEvent[] }> {
  const deadlocks: LogEvent[] = [];
  const serializationFailures: LogEvent[] = [];
  const reader = readLogRecords('-', {
    stdin: Readable.from([bytes]),
    format,
    prefix: format === 'stderr' ? prefix : undefined,
    timezone: validZone(timezone),
    // The cheap gate: only the two messages wanted become records.
    wants: (_severity, head) => head.startsWith('deadlock detected') || head.startsWith('could not serialize access'),
  });
  for await (const batch of reader) {
    for (const record of batch) {
      const event = classifyRecord(record);
      if (!event || (event.time !== undefined && event.time < since)) continue;
      if (event.class === 'deadlock') deadlocks.push(event);
      else if (event.class === 'serialization-failure') serializationFailures.push(event);
    }
  }
  return { deadlocks, serialization_failures: serializationFailures };
}

/** log_timezone as the reader takes it; a name Node does not know leaves times read as UTC (and says so). */
function validZone(timezone: string): string | undefined {
  try {
    parseZoneOption(timezone);
    return timezone;
  } catch {
    return undefined;
  }
}

/** A deadlock without %d in the log prefix: its database from the OID in the lock it waited for. */
async function nameDatabases(session: Session, deadlocks: LogEvent[]): Promise<void> {
  if (deadlocks.every((e) => e.database)) return;
  const rows = await session.query<{ oid: number; datname: string }>(`SELECT oid::int8 AS oid, datname FROM pg_database`);
  const names = new Map(rows.map((r) => [r.oid, r.datname]));
  for (const event of deadlocks) {
    if (event.database) continue;
    const oid = (event.fields.processes as DeadlockProcess[] | undefined)?.find((p) => p.database_oid !== undefined)?.database_oid;
    const name = oid === undefined ? undefined : names.get(oid);
    if (name) event.database = name;
  }
}

/** One day: how far back `check` looks in the log unless told (--since). */
export const DEFAULT_LOG_WINDOW_MS = 24 * 3600 * 1000;

/** Rollbacks from which the log's serialization failures are worth reading. */
const ROLLBACKS_WORTH_READING = 1000;

/**
 * Read the log only when it has something to add: a database that counts deadlocks (pg_stat_database) has their
 * details there, and one with many rollbacks the serialization failures among them (PostgreSQL counts those nowhere
 * else). A role that may not read it gets a skip only for the deadlocks: many rollbacks are common, and the
 * rollbacks finding says itself that the log was not read.
 */
export async function addServerLog(session: Session, snapshot: Snapshot, since: number | undefined): Promise<void> {
  const deadlocks = (snapshot.databases ?? []).some((d) => (d.deadlocks ?? 0) > 0);
  const rollbacks = (snapshot.databases ?? []).some((d) => (d.xact_rollback ?? 0) >= ROLLBACKS_WORTH_READING);
  if (!deadlocks && !rollbacks) return;
  const read = await readServerLog(session, snapshot.server.version_num, since ?? snapshot.server.at * 1000 - DEFAULT_LOG_WINDOW_MS);
  if (!('reason' in read)) snapshot.serverLog = read;
  else if (deadlocks) snapshot.skipped.push(read);
}
