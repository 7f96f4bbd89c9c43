/**
 * Large logs for the log benchmarks, made from the corpus (../shared/corpus/logs or $MVCC_DOCTOR_LOG_CORPUS) by
 * repeating one of pgBadger's test logs to a size; kept in <tmp>/mvcc-doctor-bench-logs (made once, reused; never
 * committed). Needs bzip2 and gzip.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_CORPUS = process.env.MVCC_DOCTOR_LOG_CORPUS ?? resolve(ROOT, '../shared/corpus/logs');
export const WORK_DIR = join(tmpdir(), 'mvcc-doctor-bench-logs');

/** pgBadger's `source` (decompressed) repeated until the log has `mb` MB; the path of the plain log. */
export function repeatedLog(corpus: string, name: string, source: string, mb: number): string {
  mkdirSync(WORK_DIR, { recursive: true });
  const path = join(WORK_DIR, `${name}-${mb}mb.log`);
  const target = mb * 1e6;
  if (existsSync(path) && statSync(path).size >= target) return path;
  const text = execFileSync(source.endsWith('.bz2') ? 'bzip2' : 'gzip', ['-dc', join(corpus, 'pgbadger', source)], { maxBuffer: 1 << 30 });
  const fd = openSync(path, 'w');
  for (let written = 0; written < target; written += text.length) writeSync(fd, text);
  closeSync(fd);
  return path;
}

/** The log gzipped beside it (gzip -1, as logrotate's compresscmd is usually run), made once. */
export function gzipped(path: string): string {
  const gz = `${path}.gz`;
  if (!existsSync(gz)) execFileSync('sh', ['-c', 'gzip -1 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"', 'sh', path, gz]);
  return gz;
}
