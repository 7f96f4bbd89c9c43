/**
 * `npm run bench:logs-read` — how fast the reading layer of `mvcc-doctor logs` (packages/doctor/src/logs/read)
 * turns a large stderr log into records, on one core: a log of statement durations (pgBadger's rds.log.bz2,
 * every line a record) and one of multi-line autovacuum reports (pg_vacuums.log.gz), each repeated to --mb MB,
 * plain and gzipped; against the floor (read the file and find the line ends, nothing decoded). The generated
 * logs go to <tmp>/mvcc-doctor-bench-logs (made once, reused; not committed).
 *
 * Options: --mb 200, --runs 3 (median), --corpus DIR (default ../shared/corpus/logs or $MVCC_DOCTOR_LOG_CORPUS).
 * Each measurement runs in a process of its own (peak RSS is its own). Needs bzip2 and gzip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CORPUS, gzipped, repeatedLog } from './log-corpus.js';
import { median, table } from './timing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = fileURLToPath(new URL('./logs-read-run.mjs', import.meta.url));
const DIST = join(ROOT, 'packages/doctor/dist/logs/read/index.js');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
  },
});
const targetBytes = Number(values.mb) * 1e6;
const runs = Number(values.runs);
if (!(targetBytes > 0) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: bench/logs-read.ts [--mb 200] [--runs 3] [--corpus DIR]');
  process.exit(2);
}
if (!existsSync(DIST)) {
  console.error('build first: npm run build');
  process.exit(2);
}

interface Measure {
  records: number;
  bytes: number;
  wallMs: number;
  cpuMs: number;
  rssMB: number;
}

function measure(kind: string, file: string): Measure {
  const out = execFileSync(process.execPath, [RUNNER, kind, file, DIST], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measure;
}

const logs = [
  { name: 'durations (rds.log)', file: repeatedLog(values.corpus, 'rds', 'rds.log.bz2', Number(values.mb)) },
  { name: 'autovacuum (pg_vacuums.log)', file: repeatedLog(values.corpus, 'vacuums', 'pg_vacuums.log.gz', Number(values.mb)) },
];
const cases: { log: string; what: string; kind: string; file: string }[] = [];
for (const log of logs) {
  cases.push({ log: log.name, what: 'floor: read + find line ends', kind: 'floor', file: log.file });
  cases.push({ log: log.name, what: 'every record', kind: 'all', file: log.file });
  cases.push({ log: log.name, what: 'gated (no durations wanted)', kind: 'gated', file: log.file });
  cases.push({ log: log.name, what: 'every record, from .gz', kind: 'all', file: gzipped(log.file) });
}

const rows: string[][] = [];
for (const c of cases) {
  measure(c.kind, c.file); // warm the page cache
  const results = Array.from({ length: runs }, () => measure(c.kind, c.file));
  const wall = median(results.map((r) => r.wallMs));
  const cpu = median(results.map((r) => r.cpuMs));
  const { bytes, records } = results[0]!;
  rows.push([
    c.log,
    c.what,
    String(records),
    (bytes / 1e6).toFixed(0),
    (bytes / 1e3 / wall).toFixed(0),
    (bytes / 1e3 / cpu).toFixed(0),
    Math.max(...results.map((r) => r.rssMB)).toFixed(0),
  ]);
  process.stderr.write(`${c.log}: ${c.what} done\n`);
}
console.log(`\nNode.js ${process.version}, median of ${runs} runs; MB/s of uncompressed log (cpu: user+system time, GC threads included)\n`);
console.log(table(['log', 'reading', 'records (lines for floor)', 'MB', 'MB/s wall', 'MB/s cpu', 'peak RSS MB'], rows));
