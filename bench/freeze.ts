/**
 * `npm run bench:freeze` — how fast does `mvcc-doctor freeze run` get a cluster out of the XID stop zone,
 * and every database under autovacuum_freeze_max_age, against
 *   (a) `vacuumdb --all --freeze --jobs 2` and
 *   (b) `vacuumdb --all --min-xid-age <autovacuum_freeze_max_age> --jobs 2` (PostgreSQL 15's own vacuumdb)?
 * Goal (issue 4): out of the stop zone in at most 0.3x vacuumdb's time, under the target in at most 0.8x.
 *
 * The cluster: the lab's wraparound template (PostgreSQL 15, pg_resetwal) with `--tables` tables whose ages are
 * `--age-step` XIDs apart, every second one with empty trailing pages, `--mb` MB in all, pushed into the stop
 * zone and held there by a prepared transaction (the xid-wraparound scenario), then stopped: that is the
 * bench template. Each contender runs on a fresh copy of it: start, autovacuum off and its waiting workers
 * gone, the prepared transaction rolled back, then the clock starts. A separate session polls the database
 * ages every 50 ms to time the zone exits. A vacuumdb that fails is run again, as an operator would (3
 * attempts at most); the time counts from the first start.
 *
 * Two more contenders add --no-truncate (what an operator types after vacuumdb's truncation error in the
 * stop zone): the same VACUUM options as freeze run, so they show what ordering and parallelism alone gain.
 *
 * Options (flags or environment): --tables 40 / BENCH_FREEZE_TABLES, --mb 400 / BENCH_FREEZE_MB,
 * --age-step 45000000, --jobs 2, --runs 1 / BENCH_FREEZE_RUNS, --timeout 300 (seconds per contender run),
 * --poll-ms 10 (how often the ages are read: the precision of the zone-exit times, which are tens of ms).
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import { resolveConnOptions } from '../packages/doctor/src/connect/conn-options.js';
import { Cluster } from '@mvcc-doctor/lab';
import { rescue } from '../packages/doctor/src/index.js';
import { benchDecoy } from './freeze-decoy.js';
import { benchTemplate, CLI, quietAutovacuum, runProcess, STOP_AGE, VACUUMDB, watch } from './freeze-lab.js';
import { median, table } from './timing.js';

const TARGET = 200_000_000; // autovacuum_freeze_max_age, the server default the template runs with
const GOAL_STOP = 0.3;
const GOAL_TARGET = 0.8;

const { values } = parseArgs({
  options: {
    tables: { type: 'string', default: process.env.BENCH_FREEZE_TABLES ?? '40' },
    mb: { type: 'string', default: process.env.BENCH_FREEZE_MB ?? '400' },
    'age-step': { type: 'string', default: '45000000' },
    jobs: { type: 'string', default: '2' },
    runs: { type: 'string', default: process.env.BENCH_FREEZE_RUNS ?? '1' },
    timeout: { type: 'string', default: '300' },
    'poll-ms': { type: 'string', default: '10' },
  },
});
const tableCount = Number(values.tables);
const totalMb = Number(values.mb);
const ageStep = Number(values['age-step']);
const jobs = Number(values.jobs);
const runs = Number(values.runs);
const timeoutMs = Number(values.timeout) * 1000;
/** How often the separate session reads the ages; the zone exits are known to this precision. */
const POLL_MS = Number(values['poll-ms']);
if (![tableCount, totalMb, ageStep, jobs, runs, timeoutMs, POLL_MS].every((n) => Number.isInteger(n) && n > 0) || (tableCount - 1) * ageStep > 1_900_000_000) {
  console.error('usage: bench/freeze.ts [--tables 40] [--mb 400] [--age-step 45000000] [--jobs 2] [--runs 1] [--timeout 300] [--poll-ms 10]; (tables - 1) * age-step <= 1.9e9');
  process.exit(2);
}
if (!existsSync(VACUUMDB)) {
  console.error(`${VACUUMDB} is missing: apt-get install -y postgresql-15`);
  process.exit(2);
}
process.once('SIGINT', () => process.exit(130));
const log = (text: string) => process.stderr.write(`${text}\n`);

/** What one contender run measured, in seconds from the release of the holder. */
interface Measured {
  stopExit?: number;
  underTarget?: number;
  finished: number;
  attempts: number;
  note: string;
}

interface Contender {
  name: string;
  /** Run once against the cluster; resolves with a note (errors included) and whether it succeeded. */
  run(cluster: Cluster): Promise<{ ok: boolean; note: string }>;
}

const contenders: Contender[] = [
  {
    name: `mvcc-doctor freeze run --jobs ${jobs}`,
    // The whole process, as a user runs it: node start-up, module loading, connecting, planning, freezing.
    run: (cluster) => runProcess('node', [...CLI, 'freeze', 'run', cluster.connectionString('postgres'), '--jobs', String(jobs)]),
  },
  {
    name: `rescue() in-process --jobs ${jobs}`,
    async run(cluster) {
      // The library call behind `freeze run`: the stop-zone relations at once, the full plan meanwhile, then the rest.
      const conn = resolveConnOptions({ conninfo: cluster.connectionString('postgres'), env: {} });
      const { result } = await rescue(conn, { jobs, emergency: false, lockTimeoutMs: 1000 });
      return {
        ok: result.failed.length === 0,
        note: `${result.frozen.length} frozen, ${result.skipped.length} skipped (done by autovacuum), ${result.failed.length} failed, ${result.notStarted.length} not needed`,
      };
    },
  },
  vacuumdb(`vacuumdb --all --freeze --jobs ${jobs}`, ['--all', '--freeze', '--jobs', String(jobs)]),
  vacuumdb(`vacuumdb --all --min-xid-age ${TARGET} --jobs ${jobs}`, ['--all', '--min-xid-age', String(TARGET), '--jobs', String(jobs)]),
  // What an operator types after the truncation error: the same VACUUM options as freeze run, vacuumdb's order.
  vacuumdb(`vacuumdb --all --freeze --no-truncate --jobs ${jobs}`, ['--all', '--freeze', '--no-truncate', '--jobs', String(jobs)]),
  vacuumdb(`vacuumdb --all --min-xid-age ${TARGET} --no-truncate --jobs ${jobs}`, ['--all', '--min-xid-age', String(TARGET), '--no-truncate', '--jobs', String(jobs)]),
];
/** The contenders the goal names; the --no-truncate ones are shown for a like-for-like comparison. */
const GOAL_CONTENDERS = new Set([2, 3]);

function vacuumdb(name: string, args: string[]): Contender {
  return { name, run: (cluster) => runProcess(VACUUMDB, ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, ...args]) };
}

/** Start a copy, quiet autovacuum, roll the holder back: the stop zone with nothing in the way. */
async function freshCopy(templateDataDir: string, gid: string): Promise<Cluster> {
  const cluster = await Cluster.copyOf(templateDataDir, { label: 'bench-freeze' });
  await quietAutovacuum(cluster);
  const { rows } = await cluster.sql<{ oldest: number }>('SELECT max(age(datfrozenxid))::int AS oldest FROM pg_database');
  if (rows[0]!.oldest < STOP_AGE) throw new Error(`the copy is not in the stop zone (oldest age ${rows[0]!.oldest})`);
  await cluster.sql(`ROLLBACK PREPARED ${quoteLiteral(gid)}`, [], 'incident');
  return cluster;
}

const AGES_SQL = `SELECT max(age(datfrozenxid)) < ${STOP_AGE} AS stop_exit,
  max(age(datfrozenxid)) FILTER (WHERE datallowconn) <= ${TARGET} AS under_target FROM pg_database`;

async function measure(contender: Contender, cluster: Cluster): Promise<Measured> {
  const measured: Measured = { finished: 0, attempts: 0, note: '' };
  const notes: string[] = [];
  const started = performance.now();
  const seen = await watch(cluster, AGES_SQL, POLL_MS, async () => {
    while (measured.attempts < 3 && performance.now() - started < timeoutMs) {
      measured.attempts++;
      const { ok, note } = await contender.run(cluster);
      notes.push(note);
      if (ok) break;
    }
  });
  return { ...measured, stopExit: seen.stop_exit, underTarget: seen.under_target, finished: seen.finished!, note: notes.join(' | ') };
}

const { dataDir: templateDataDir, gid } = await benchTemplate({ tables: tableCount, mb: totalMb, ageStep, decoy: false }, log);
const results = new Map<string, Measured[]>(contenders.map((c) => [c.name, []]));
let version = '';
for (let round = 0; round < runs; round++) {
  for (const contender of contenders) {
    const cluster = await freshCopy(templateDataDir, gid);
    try {
      version = cluster.version;
      log(`round ${round + 1}/${runs}: ${contender.name} …`);
      const m = await measure(contender, cluster);
      log(`  stop zone left ${fmt(m.stopExit)}, under the target ${fmt(m.underTarget)}, finished ${m.finished.toFixed(2)} s, ${m.attempts} attempt(s): ${m.note}`);
      results.get(contender.name)!.push(m);
    } finally {
      await cluster.destroy();
    }
  }
}

/** freeze/this; 0x when this contender never got there at all (it gave up first). */
function ratioText(ratio: number, reached: boolean): string {
  return reached ? `${ratio.toFixed(2)}x` : '0 (never)';
}
function fmt(seconds: number | undefined): string {
  return seconds === undefined ? 'never' : `${seconds.toFixed(2)} s`;
}
/** Median over runs; a run that never got there counts as its whole duration, and is marked. */
function mid(list: Measured[], key: 'stopExit' | 'underTarget'): { seconds: number; reached: boolean } {
  return { seconds: median(list.map((m) => m[key] ?? m.finished)), reached: list.every((m) => m[key] !== undefined) };
}
const ours = results.get(contenders[0]!.name)!;
const rows: string[][] = [];
let goalMet = true;
for (const contender of contenders) {
  const list = results.get(contender.name)!;
  const stop = mid(list, 'stopExit');
  const target = mid(list, 'underTarget');
  const ratioStop = mid(ours, 'stopExit').seconds / stop.seconds;
  const ratioTarget = mid(ours, 'underTarget').seconds / target.seconds;
  const goal = GOAL_CONTENDERS.has(contenders.indexOf(contender));
  const beaten = (ratio: number, reached: boolean, goalRatio: number) => !reached || ratio <= goalRatio;
  if (goal && (!beaten(ratioStop, stop.reached, GOAL_STOP) || !beaten(ratioTarget, target.reached, GOAL_TARGET) || !mid(ours, 'underTarget').reached)) goalMet = false;
  rows.push([
    contender.name,
    `${stop.seconds.toFixed(2)}${stop.reached ? '' : ' (never)'}`,
    `${target.seconds.toFixed(2)}${target.reached ? '' : ' (never)'}`,
    median(list.map((m) => m.finished)).toFixed(2),
    contender === contenders[0] ? '' : ratioText(ratioStop, stop.reached),
    contender === contenders[0] ? '' : ratioText(ratioTarget, target.reached),
    String(Math.max(...list.map((m) => m.attempts))),
  ]);
}
console.log(
  `\nfreeze, PostgreSQL ${version}, ${cpus().length} cores; one stop-zone database, ${tableCount} tables ~${totalMb} MB, ages ${ageStep.toLocaleString('en-US')} apart; ` +
    `median of ${runs} run(s), ages polled every ${POLL_MS} ms, seconds from the release of the holder ("never": not reached by the end of the run, its duration shown)`,
);
console.log(table(['contender', 'out of stop zone', `under ${TARGET.toLocaleString('en-US')}`, 'finished', 'freeze/this (stop)', 'freeze/this (target)', 'attempts'], rows));
for (const contender of contenders) console.log(`${contender.name}: ${results.get(contender.name)!.map((m) => m.note).join(' || ')}`);
console.log(`\ngoal (out of the stop zone in ≤ ${GOAL_STOP}x, under the target in ≤ ${GOAL_TARGET}x of vacuumdb --freeze and of vacuumdb --min-xid-age): ${goalMet ? 'met' : 'NOT met'}`);

const decoyMet = await benchDecoy({ layout: { tables: tableCount, mb: totalMb, ageStep }, jobs, runs: Math.max(runs, 3), pollMs: POLL_MS, log });
process.exitCode = goalMet && decoyMet ? 0 : 1;
