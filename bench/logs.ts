/**
 * `npm run bench:logs` — `mvcc-doctor logs` against pgBadger (Debian's `pgbadger`) on the same large stderr log and
 * its gzip, side by side in one run, each as a whole process the way a user runs it (node's start-up included):
 * pgBadger with -j 1 and -j 2, ours with --jobs 1 and --jobs 2, each writing its HTML report. The log is pgBadger's
 * own rds.log (every line a `duration: … statement:` record, RDS prefix) repeated to --mb MB (default 1000).
 *
 * Options: --mb 1000, --runs 1 (median), --corpus DIR, --skip-gzip. Needs pgbadger, GNU time (/usr/bin/time),
 * bzip2 and gzip. pgBadger takes minutes a gigabyte: the default run lasts about 20 minutes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CORPUS, gzipped, repeatedLog } from './log-corpus.js';
import { median, table } from './timing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');
const RDS_PREFIX = '%t:%r:%u@%d:[%p]:';
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '1' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    'skip-gzip': { type: 'boolean', default: false },
  },
});
const mb = Number(values.mb);
const runs = Number(values.runs);
if (!(mb > 0) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: bench/logs.ts [--mb 1000] [--runs 1] [--corpus DIR] [--skip-gzip]');
  process.exit(2);
}
for (const [tool, path] of [['pgbadger', '/usr/bin/pgbadger'], ['GNU time', '/usr/bin/time']] as const) {
  if (!existsSync(path)) {
    console.error(`${tool} is needed (${path}): apt-get install pgbadger time`);
    process.exit(2);
  }
}
if (!existsSync(join(ROOT, 'packages/doctor/dist/bundle/main.js'))) {
  console.error('build first: npm run build');
  process.exit(2);
}

interface Measure {
  wallS: number;
  cpuS: number;
  rssMB: number;
}

const out = mkdtempSync(join(tmpdir(), 'mvcc-doctor-bench-logs-out-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

/** One whole process under GNU time: wall, user+system CPU (children included) and peak RSS. */
function measure(command: string[]): Measure {
  const timing = join(out, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-o', timing, '-f', '%e %U %S %M', ...command], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0 && run.status !== 1 && run.status !== 2) throw new Error(`${command.join(' ')} failed (${run.status}): ${run.stderr.slice(-500)}`);
  const [wall, user, system, rssKB] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  return { wallS: wall!, cpuS: user! + system!, rssMB: rssKB! / 1024 };
}

const plain = repeatedLog(values.corpus, 'rds', 'rds.log.bz2', mb);
const inputs = [{ name: 'plain', file: plain }];
if (!values['skip-gzip']) inputs.push({ name: 'gzip', file: gzipped(plain) });
const logBytes = statSync(plain).size;

const contenders = (file: string) => [
  { name: 'pgBadger -j 1', command: ['pgbadger', '-q', '-j', '1', '-f', 'stderr', '--prefix', RDS_PREFIX, '-o', join(out, 'pgbadger.html'), file] },
  { name: 'pgBadger -j 2', command: ['pgbadger', '-q', '-j', '2', '-f', 'stderr', '--prefix', RDS_PREFIX, '-o', join(out, 'pgbadger.html'), file] },
  { name: 'mvcc-doctor logs --jobs 1', command: [process.execPath, CLI, 'logs', '--jobs', '1', '--html', join(out, 'doctor.html'), file] },
  { name: 'mvcc-doctor logs --jobs 2', command: [process.execPath, CLI, 'logs', '--jobs', '2', '--html', join(out, 'doctor.html'), file] },
];

execFileSync('cat', [plain], { stdio: ['ignore', 'ignore', 'inherit'] }); // the page cache holds the log for everyone
const rows: string[][] = [];
for (const input of inputs) {
  const results = new Map<string, Measure[]>();
  for (let round = 0; round < runs; round++) {
    const list = contenders(input.file);
    // Rotated each round, so no contender always runs right after the same other one.
    for (const c of list.map((_, i) => list[(i + round) % list.length]!)) {
      process.stderr.write(`${input.name}: ${c.name} (round ${round + 1}/${runs}) …\n`);
      const m = measure(c.command);
      results.set(c.name, [...(results.get(c.name) ?? []), m]);
    }
  }
  const baseline = median(results.get('pgBadger -j 1')!.map((m) => m.wallS));
  for (const [name, ms] of results) {
    const wall = median(ms.map((m) => m.wallS));
    const cpu = median(ms.map((m) => m.cpuS));
    rows.push([
      `${input.name}: ${name}`,
      wall.toFixed(1),
      (logBytes / 1e6 / wall).toFixed(1),
      cpu.toFixed(1),
      Math.max(...ms.map((m) => m.rssMB)).toFixed(0),
      `${(baseline / wall).toFixed(1)}×`,
    ]);
  }
}
console.log(`\n${(logBytes / 1e6).toFixed(0)} MB stderr log (pgBadger's rds.log repeated), Node.js ${process.version}, median of ${runs} run(s);`);
console.log('MB/s of uncompressed log over wall time; cpu: user+system seconds, children included\n');
console.log(table(['contender', 'wall s', 'MB/s', 'cpu s', 'peak RSS MB', 'vs pgBadger -j 1'], rows));
