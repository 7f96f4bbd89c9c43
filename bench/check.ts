/**
 * `npm run bench:check` — how fast is `mvcc-doctor check` on databases with many tables, against
 *   (a) the floor: the bare catalog queries it needs, and
 *   (b) check_postgres, the actions that cover the same ground, summed.
 * Goal (issue 3): within 1.5x of the floor at 50,000 tables, faster than the check_postgres sum.
 *
 * Options (flags or environment): --major N / BENCH_PG_MAJOR (default: newest, 18), --tables 10000,50000 /
 * BENCH_TABLES, --runs 5 / BENCH_RUNS. Starts and stops its own lab cluster.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Cluster } from '@mvcc-doctor/lab';
import { growTables } from './build-tables.js';
import {
  CHECK_POSTGRES_ACTIONS,
  checkInProcess,
  checkPostgres,
  checkPostgresAvailable,
  checkProcess,
  floor,
  type Contender,
} from './contenders.js';
import { median, table, timeInterleaved } from './timing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');
const GOAL_FLOOR_RATIO = 1.5;

const { values } = parseArgs({
  options: {
    major: { type: 'string', default: process.env.BENCH_PG_MAJOR },
    tables: { type: 'string', default: process.env.BENCH_TABLES ?? '10000,50000' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '5' },
  },
});
const major = values.major ? Number(values.major) : undefined;
const sizes = values.tables.split(',').map(Number).sort((a, b) => a - b);
const runs = Number(values.runs);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: bench/check.ts [--major 14|15|18] [--tables 10000,50000] [--runs 5]');
  process.exit(2);
}
if (!checkPostgresAvailable()) {
  console.error('check_postgres is missing: apt-get install -y check-postgres');
  process.exit(2);
}
// An interrupted bench still stops its cluster (the lab's exit hook).
process.once('SIGINT', () => process.exit(130));

const log = (text: string) => process.stderr.write(`${text}\n`);
const ms = (value: number) => value.toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

log('building (the CLI contender runs the bin, as a user does) …');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });

const cluster = await Cluster.create({ major, label: 'bench-check', autovacuum: false });
const results: string[][] = [];
const details: string[] = [];
let goalMet = true;
try {
  await cluster.sql('CREATE DATABASE bench');
  const { rows } = await cluster.sql<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname');
  const databases = rows.map((r) => r.datname);
  log(`PostgreSQL ${cluster.version} on port ${cluster.port}; databases examined: ${databases.join(', ')}`);

  for (const size of sizes) {
    const started = performance.now();
    await growTables(cluster, 'bench', { tables: size });
    log(`${size} tables ready in ${ms(performance.now() - started)} ms; timing ${runs} runs after a warm-up …`);
    const cpActions = Object.keys(CHECK_POSTGRES_ACTIONS).map((action) => checkPostgres(cluster, action, databases));
    const contenders: Contender[] = [floor(cluster), checkInProcess(cluster), checkProcess(cluster, BIN), ...cpActions];
    const timings = await timeInterleaved(contenders, runs, (round) => log(`  round ${round}/${runs}`));
    const m = (name: string) => median(timings.get(name)!);
    const floorMs = m('floor');
    const inProcess = m('check (in-process)');
    const cli = m('check (CLI process)');
    const cpSum = cpActions.reduce((sum, c) => sum + m(c.name), 0);
    if (size === sizes[sizes.length - 1] && inProcess > GOAL_FLOOR_RATIO * floorMs) goalMet = false;
    if (cli > cpSum) goalMet = false;
    results.push([String(size), ms(floorMs), ms(inProcess), ms(cli), ms(cpSum), ratio(inProcess, floorMs), ratio(cli, cpSum)]);
    const withoutBloat = cpSum - m('check_postgres bloat');
    details.push(`${size} tables: ${cpActions.map((c) => `${c.name.replace('check_postgres ', '')} ${ms(m(c.name))}`).join(', ')}; sum without bloat ${ms(withoutBloat)} ms`);
  }
} finally {
  await cluster.destroy();
}

console.log(`\nmvcc-doctor check, PostgreSQL ${cluster.version}, ${cpus().length} cores, median of ${runs} runs (after one warm-up), --sample 0, times in ms`);
console.log(table(['tables', 'floor', 'check', 'check CLI', 'check_postgres sum', 'check/floor', 'check CLI/check_postgres'], results));
console.log(`\ncheck_postgres per action (${Object.keys(CHECK_POSTGRES_ACTIONS).join(', ')}):\n${details.join('\n')}`);
console.log(`\ngoal (check within ${GOAL_FLOOR_RATIO}x of the floor at ${sizes[sizes.length - 1]} tables, CLI faster than check_postgres): ${goalMet ? 'met' : 'NOT met'}`);
process.exitCode = goalMet ? 0 : 1;
