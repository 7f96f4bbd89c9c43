import type { Readable } from 'node:stream';
import { DoctorError } from '../../connect/doctor-error.js';
import type { LogFormat, LogRecord } from '../log-record.js';
import { parseZoneOption } from './time/log-time.js';

/** How logs are read. Every field is optional; `resolveReadOptions` fills the defaults once. */
export interface ReadOptions {
  /**
   * log_line_prefix of stderr, syslog, logplex and Cloud SQL text (e.g. "%m [%p] %q%u@%d "). Detected per file from
   * its first lines when absent.
   */
  prefix?: string;
  /** Read every input as this format instead of detecting it per file. */
  format?: LogFormat;
  /**
   * The server's log_timezone, as an IANA name ("Europe/Paris") or an offset ("+05:30"): used for every time that
   * carries a zone abbreviation or none (numeric offsets and UTC in the log always win). Without it, abbreviations
   * are read from a built-in table (CEST = +02:00 …) and times without a zone as UTC.
   */
  timezone?: string;
  /**
   * The cheap gate: called with the severity and the first line of the message of each record before the record is
   * built; false skips the record and the DETAIL/HINT/CONTEXT/STATEMENT lines that belong to it (counted as
   * "filtered", not as warnings). A test on the message's first characters costs nothing next to reading; a
   * list of substrings searched in every message costs about 1 µs a line (measured), more than reading it.
   */
  wants?: (severity: string, head: string) => boolean;
  /**
   * Takes LOG records that are only counted before a record is built (analyzeLogs' statement summary: see
   * StatementLane). Given a record's whole message (never a part of it, never one longer than maxRecordBytes).
   */
  lane?: RecordLane;
  /** The largest record kept, in characters of message + detail + …; longer ones are cut and counted. 1 MiB. */
  maxRecordBytes?: number;
  /** Records per yielded batch (at most). 2048. */
  batchSize?: number;
  /** The stream "-" reads. process.stdin. */
  stdin?: Readable;
  /** The year of syslog times, which carry none. The file's modification year (stdin: this year). */
  year?: number;
  /** Stops reading: the iteration ends after the batch in hand. */
  signal?: AbortSignal;
}

export interface ResolvedReadOptions extends Omit<ReadOptions, 'maxRecordBytes' | 'batchSize'> {
  readonly maxRecordBytes: number;
  readonly batchSize: number;
}

const MIN_RECORD_BYTES = 1024;

/** Fills the defaults and checks what can be checked before the first byte is read; frozen. */
export function resolveReadOptions(options: ReadOptions = {}): ResolvedReadOptions {
  if (options.timezone !== undefined) parseZoneOption(options.timezone);
  const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < MIN_RECORD_BYTES) {
    throw new DoctorError('usage', `maxRecordBytes must be an integer of at least ${MIN_RECORD_BYTES}`);
  }
  const batchSize = options.batchSize ?? 2048;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DoctorError('usage', 'batchSize must be a positive integer');
  return Object.freeze({ ...options, maxRecordBytes, batchSize });
}

/**
 * What a reader asks before it builds a LOG record: "taken" (nothing else is wanted of it: no record, and its
 * DETAIL/… lines go with it), "counted" (build it, then `mark` it), or undefined (an ordinary record).
 */
export interface RecordLane {
  /** The record whose message is text[from…]. */
  take(text: string, from: number, application: string | undefined): 'taken' | 'counted' | undefined;
  mark(record: LogRecord): void;
}
