import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import type { LogFormat } from '../logs/log-record.js';
import { parseZoneOption } from '../logs/read/time/log-time.js';
import type { Skip } from './snapshot.js';

/** How the server writes its log, as the log reader takes it: no detection needed. */
export interface ServerLogSetup {
  format: LogFormat;
  /** log_line_prefix, for stderr. */
  prefix?: string;
  /** log_timezone, when Node knows the name. */
  timezone?: string;
}

export const SERVER_LOG_PRIVILEGE =
  'needs superuser, or pg_read_server_files with EXECUTE on pg_read_binary_file(text, bigint, bigint, boolean) (and logging_collector on)';

/** log_line_prefix and log_timezone, which any role may read: how to read a log file the daemon follows itself. */
export async function serverLogLayout(session: Session): Promise<{ prefix: string; timezone?: string }> {
  const [row] = await session.query<{ prefix: string; timezone: string }>(
    `SELECT current_setting('log_line_prefix') AS prefix, current_setting('log_timezone') AS timezone`,
  );
  return { prefix: row!.prefix, timezone: validZone(row!.timezone) };
}

/**
 * Whether the log can be read through SQL, and how it is written. csvlog is preferred (every record has its database
 * and application), then jsonlog, then stderr with the server's own log_line_prefix.
 */
export async function serverLogSetup(session: Session, versionNum: number): Promise<ServerLogSetup | Skip> {
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
  return { format, prefix: format === 'stderr' ? setup!.prefix : undefined, timezone: validZone(setup!.timezone) };
}

/** A DoctorError of reading the log as the Skip it is (a privilege, a file gone); anything else is not ours to hide. */
export function readSkip(error: unknown): Skip | undefined {
  if (!(error instanceof DoctorError) || error.code === 'unreachable') return undefined;
  return { what: 'server-log', reason: error.code === 'privilege' ? `${error.message}: ${SERVER_LOG_PRIVILEGE}` : error.message };
}

/**
 * pg_current_logfile(), or, where the role may not call it (PostgreSQL 14 and older grant it to no one), the file it
 * reads: current_logfiles in the data directory ("stderr log/postgresql.log"), read with the function we need anyway.
 */
export async function currentLogfile(session: Session, format: LogFormat): Promise<string | null> {
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

/** The size of a file of the log directory, or undefined when it is gone. pg_ls_logdir (pg_monitor) needs no superuser. */
export async function logFileSize(session: Session, path: string): Promise<number | undefined> {
  const [file] = await session.query<{ size: string | null }>(`SELECT (SELECT size FROM pg_ls_logdir() WHERE name = regexp_replace($1, '^.*/', ''))::int8 AS size`, [path]);
  return file?.size === null || file?.size === undefined ? undefined : Number(file.size);
}

/** `length` bytes of a log file from `offset` (fewer at its end; none when it is gone). */
export async function readLogBytes(session: Session, path: string, offset: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const [data] = await session.query<{ bytes: Buffer | null }>(`SELECT pg_read_binary_file($1, $2, $3, true) AS bytes`, [path, offset, length]);
  return data?.bytes ?? Buffer.alloc(0);
}

function pickFormat(destinations: string, versionNum: number): LogFormat {
  const list = destinations.split(',').map((d) => d.trim());
  if (list.includes('csvlog')) return 'csvlog';
  if (versionNum >= 150000 && list.includes('jsonlog')) return 'jsonlog';
  return 'stderr';
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
