import { Readable } from 'node:stream';
import type { Session } from '../connect/safe-session.js';
import { classifyRecord } from '../logs/classify/classify-record.js';
import type { DeadlockProcess } from '../logs/classify/lock-events.js';
import type { LogEvent } from '../logs/log-event.js';
import type { LogFormat } from '../logs/log-record.js';
import { readLogRecords } from '../logs/read/read-log-records.js';
import { currentLogfile, logFileSize, readLogBytes, readSkip, serverLogSetup, type ServerLogSetup } from './server-log-file.js';
import type { ServerLogWanted } from './server-log-wanted.js';
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

/**
 * Reads the last TAIL_BYTES of the server log — the file PostgreSQL itself names with pg_current_logfile() (so only
 * with logging_collector on) — with pg_read_binary_file, and classifies it with the log library: deadlock reports
 * (processes, the lock each waited for, their queries and app origins) and serialization failures since `since`.
 * What cannot be read is a Skip with the reason, never an error.
 */
export async function readServerLog(session: Session, versionNum: number, since: number): Promise<ServerLogRead | Skip> {
  const setup = await serverLogSetup(session, versionNum);
  if ('reason' in setup) return setup;
  try {
    const path = await currentLogfile(session, setup.format);
    if (!path) return { what: 'server-log', reason: `pg_current_logfile('${setup.format}') names no file (is the logging collector writing ${setup.format}?)` };
    const size = (await logFileSize(session, path)) ?? 0;
    const offset = Math.max(0, size - TAIL_BYTES);
    const bytes = await readLogBytes(session, path, offset, size - offset);
    // A tail starts inside a line: start at the next one.
    const start = offset > 0 ? bytes.indexOf(10) + 1 : 0;
    const events = await classify(bytes.subarray(start), setup, since);
    await nameDatabases(session, events.deadlocks);
    return { file: path, format: setup.format, bytes_read: bytes.length, file_bytes: size, since, ...events };
  } catch (error) {
    const skip = readSkip(error);
    if (skip) return skip;
    throw error;
  }
}

async function classify(bytes: Buffer, setup: ServerLogSetup, since: number): Promise<{ deadlocks: LogEvent[]; serialization_failures: LogEvent[] }> {
  const deadlocks: LogEvent[] = [];
  const serializationFailures: LogEvent[] = [];
  const reader = readLogRecords('-', {
    stdin: Readable.from([bytes]),
    ...setup,
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

/** A deadlock without %d in the log prefix: its database from the OID in the lock it waited for. */
export async function nameDatabases(session: Session, deadlocks: LogEvent[]): Promise<void> {
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

/**
 * Reads the log into the snapshot (see serverLogWanted for when); a role that may not read it gets a skip only for
 * the deadlocks: many rollbacks are common, and the rollbacks finding says itself that the log was not read.
 */
export async function addServerLog(session: Session, snapshot: Snapshot, since: number | undefined, wanted: ServerLogWanted): Promise<void> {
  const read = await readServerLog(session, snapshot.server.version_num, since ?? snapshot.server.at * 1000 - DEFAULT_LOG_WINDOW_MS);
  if (!('reason' in read)) snapshot.serverLog = read;
  else if (wanted.deadlocks) snapshot.skipped.push(read);
}
