import type { LogFormat } from '../log-record.js';

/**
 * Why a line did not become (part of) a record. Only "unparsed", "bad-json", "bad-csv" and "not-postgres" are
 * warnings; the others are what a healthy log has too.
 */
export type SkipReason =
  /** The `wants` gate declined the record (its folded lines count too). */
  | 'filtered'
  /** A line that is not a log line of the file's format and belongs to no record. */
  | 'unparsed'
  /** A DETAIL/HINT/CONTEXT/STATEMENT line whose record is not in the log (it began before the file did). */
  | 'orphan'
  /** Another program's line in a shared syslog or logplex drain, or a CloudNativePG operator line. */
  | 'foreign'
  | 'bad-json'
  | 'bad-csv'
  /** The lines of a file that is not a PostgreSQL server log (a pgbouncer log, say). */
  | 'not-postgres'
  | 'empty';

const WARNING_REASONS: ReadonlySet<SkipReason> = new Set(['unparsed', 'bad-json', 'bad-csv', 'not-postgres']);

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** What reading one input found. */
export interface FileStats {
  /** The path as given, or "-". */
  file: string;
  format?: LogFormat;
  /** The log_line_prefix used (given or detected) for text formats. */
  prefix?: string;
  /** How the prefix was found; "fallback" means no prefix matched and only the severity was recognised. */
  prefixSource?: 'option' | 'detected' | 'fallback';
  compression?: Compression;
  /** When the file is not a PostgreSQL log: what it looks like ("pgbouncer", "unknown"). */
  notPostgres?: string;
  /** Bytes read, after decompression. */
  bytes: number;
  lines: number;
  records: number;
  /** Records (or lines) longer than maxRecordBytes, kept cut. */
  cut: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Warnings counted for this file. */
  warnings: number;
}

/** What readLogRecords found, for the caller to report; filled while reading, complete when the iteration ends. */
export interface ReadStats {
  files: FileStats[];
  bytes: number;
  lines: number;
  records: number;
  cut: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Anomalies: unparsed lines, bad JSON/CSV, cut records, truncated or corrupt compressed data, unknown prefix… */
  warnings: number;
  /** One line for each of the first warnings of each kind, naming the file (at most 50). */
  messages: string[];
}

const MAX_MESSAGES = 50;

export function newReadStats(): ReadStats {
  return { files: [], bytes: 0, lines: 0, records: 0, cut: 0, skipped: {}, warnings: 0, messages: [] };
}

/**
 * Adds what reading one part found to `total`; `continuesFile`: the part is the next byte range of the last file,
 * whose statistics it joins (format and prefix as found at the file's start).
 */
export function addReadStats(total: ReadStats, part: ReadStats, continuesFile: boolean): void {
  total.bytes += part.bytes;
  total.lines += part.lines;
  total.records += part.records;
  total.cut += part.cut;
  total.warnings += part.warnings;
  addCounts(total.skipped, part.skipped);
  for (const message of part.messages) if (total.messages.length < MAX_MESSAGES && !total.messages.includes(message)) total.messages.push(message);
  for (const [i, file] of part.files.entries()) {
    const last = total.files.at(-1);
    if (i > 0 || !continuesFile || !last) {
      total.files.push({ ...file, skipped: { ...file.skipped } });
      continue;
    }
    last.bytes += file.bytes;
    last.lines += file.lines;
    last.records += file.records;
    last.cut += file.cut;
    last.warnings += file.warnings;
    addCounts(last.skipped, file.skipped);
  }
}

function addCounts(into: Partial<Record<SkipReason, number>>, from: Partial<Record<SkipReason, number>>): void {
  for (const [reason, n] of Object.entries(from) as [SkipReason, number][]) into[reason] = (into[reason] ?? 0) + n;
}

/** The per-file view the parsers write to; it keeps the totals in step. */
export class StatsRecorder {
  readonly file: FileStats;
  private readonly told = new Map<string, string>();

  constructor(
    readonly stats: ReadStats,
    name: string,
  ) {
    this.file = { file: name, bytes: 0, lines: 0, records: 0, cut: 0, skipped: {}, warnings: 0 };
    stats.files.push(this.file);
  }

  bytes(n: number): void {
    this.file.bytes += n;
    this.stats.bytes += n;
  }

  lines(n: number): void {
    this.file.lines += n;
    this.stats.lines += n;
  }

  records(n: number): void {
    this.file.records += n;
    this.stats.records += n;
  }

  cut(): void {
    this.file.cut++;
    this.stats.cut++;
    this.warn('cut', `a record longer than the limit was cut`);
  }

  /** Counts skipped lines; warning reasons count one warning a line unless `warnings` says otherwise. */
  skip(reason: SkipReason, n = 1, detail?: string, warnings = n): void {
    this.file.skipped[reason] = (this.file.skipped[reason] ?? 0) + n;
    this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) + n;
    if (WARNING_REASONS.has(reason)) this.warn(reason, detail ?? SKIP_TEXT[reason], warnings);
  }

  /** Takes back lines counted as skipped that were read after all (and the warnings they counted). */
  unskip(reason: SkipReason, n: number): void {
    this.file.skipped[reason] = (this.file.skipped[reason] ?? 0) - n;
    this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) - n;
    if (this.file.skipped[reason] === 0) delete this.file.skipped[reason];
    if (this.stats.skipped[reason] === 0) delete this.stats.skipped[reason];
    if (WARNING_REASONS.has(reason)) {
      this.file.warnings -= n;
      this.stats.warnings -= n;
      // Nothing of that kind left in this file: its message would now be wrong.
      const message = this.told.get(reason);
      if (this.file.skipped[reason] === undefined && message !== undefined) {
        this.told.delete(reason);
        const at = this.stats.messages.indexOf(message);
        if (at !== -1) this.stats.messages.splice(at, 1);
      }
    }
  }

  /** Counts a warning; the first of each kind per file also gets its one-line message. */
  warn(kind: string, text: string, n = 1): void {
    this.file.warnings += n;
    this.stats.warnings += n;
    if (this.told.has(kind) || this.stats.messages.length >= MAX_MESSAGES) return;
    const message = `${this.file.file}: ${text.replace(/\s*\n\s*/g, ' ')}`;
    this.told.set(kind, message);
    this.stats.messages.push(message);
  }
}

const SKIP_TEXT: Record<SkipReason, string> = {
  filtered: 'records filtered out',
  unparsed: 'lines that are not log lines of the detected format were skipped',
  orphan: 'DETAIL/HINT lines without their record',
  foreign: "other programs' lines",
  'bad-json': 'lines that are not valid JSON were skipped',
  'bad-csv': 'lines that are not valid csvlog were skipped',
  'not-postgres': 'not a PostgreSQL server log',
  empty: 'empty lines',
};
