import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { LogRecord } from '../../src/logs/log-record.js';
import { readLogRecords, type ReadOptions, type ReadStats } from '../../src/logs/read/index.js';

/**
 * The external log corpus (pgBadger's fixtures, pganalyze's cases), read where it lies: ../shared/corpus/logs from
 * the repository, or $MVCC_DOCTOR_LOG_CORPUS. It is never copied into the repository.
 */
const REPO = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
export const CORPUS = process.env.MVCC_DOCTOR_LOG_CORPUS ?? resolve(REPO, '../shared/corpus/logs');
export const PGBADGER = join(CORPUS, 'pgbadger');
export const PGANALYZE = join(CORPUS, 'pganalyze');
export const HAVE_CORPUS = existsSync(join(PGBADGER, 'MANIFEST.txt'));

/** One row of pgbadger/MANIFEST.txt. */
export interface ManifestRow {
  file: string;
  /** The format column as written ("csvlog, 23 cols (PG 10-12 layout)", "syslog (…)"). */
  format: string;
  /** The log_line_prefix between the first pair of quotes of the prefix column; undefined for "n/a". */
  prefix?: string;
}

export function pgbadgerManifest(): ManifestRow[] {
  const rows: ManifestRow[] = [];
  for (const line of readFileSync(join(PGBADGER, 'MANIFEST.txt'), 'utf8').split('\n')) {
    const cells = line.split(' | ');
    if (cells.length < 5 || cells[0] === 'file') continue;
    // "same" repeats the row above (pg-syslog.2.gz is pg-syslog.1 shifted a day).
    const prefix = cells[2]!.trim() === 'same' ? rows.at(-1)?.prefix : /'([^']*)'/.exec(cells[2]!)?.[1];
    rows.push({ file: cells[0]!.trim(), format: cells[1]!.trim(), prefix });
  }
  return rows;
}

/** A file's text, decompressed without our reader (zlib, or the bzip2 program). */
export function rawText(path: string): string {
  const bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipSync(bytes).toString('utf8');
  if (bytes.subarray(0, 3).toString('latin1') === 'BZh') return execFileSync('bzip2', ['-dc', path], { maxBuffer: 1 << 30 }).toString('utf8');
  return bytes.toString('utf8');
}

export async function readAll(inputs: string[] | '-', options: ReadOptions = {}): Promise<{ records: LogRecord[]; stats: ReadStats }> {
  const reader = readLogRecords(inputs, options);
  const records: LogRecord[] = [];
  for await (const batch of reader) records.push(...batch);
  return { records, stats: reader.stats };
}
