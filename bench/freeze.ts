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
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { resolveConnOptions } from '../packages/doctor/src/connect/conn-options.js';
import { Cluster, labRoot, wraparoundTemplate, xidWraparound } from '@mvcc-doctor/lab';
import { runFreeze } from '../packages/doctor/src/rescue/freeze-runner.js';
import { makeFreezePlan } from '../packages/doctor/src/rescue/make-plan.js';
import { freezeStopZoneFirst, withStopZoneFirst } from '../packages/doctor/src/rescue/stop-zone-first.js';
import { median, table } from './timing.js';

const VACUUMDB = '/usr/lib/postgresql/15/bin/vacuumdb';
const STOP_AGE = 2 ** 31 - 1 - 3_000_000;
const TARGET = 200_000_000; // autovacuum_freeze_max_age, the server default the template runs with
const GOAL_STOP = 0.3;
const GOAL_TARGET = 0.8;
const ROWS_PER_MB = 6000; // about 170 bytes a row (the template's payload), 45-48 rows to a page

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
    async run(cluster) {
      // What `freeze run` does: the stop-zone relations at once, the full plan meanwhile, then the rest.
      const conn = resolveConnOptions({ conninfo: cluster.connectionString('postgres'), env: {} });
      const first = freezeStopZoneFirst(conn, { jobs, emergency: false, lockTimeoutMs: 250 });
      const plan = await makeFreezePlan(conn, { jobs, emergency: false, lockTimeoutMs: 1000 });
      const early = await first.done;
      const main = await runFreeze(conn, plan, { lockTimeoutMs: 1000 });
      const result = withStopZoneFirst(main, early, 0);
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
/** The contenders the issue's goal names; the --no-truncate ones are shown for a like-for-like comparison. */
const GOAL_CONTENDERS = new Set([1, 2]);

function vacuumdb(name: string, args: string[]): Contender {
  return {
    name,
    run: (cluster) =>
      new Promise((resolve) => {
        const child = spawn(VACUUMDB, ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, ...args], {
          env: { PATH: process.env.PATH, LC_ALL: 'C' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => {
          const error = stderr.split('\n').find((l) => /error/i.test(l)) ?? '';
          resolve({ ok: code === 0, note: code === 0 ? 'ok' : `exit ${code}: ${error.replace(/^vacuumdb: /, '')}` });
        });
      }),
  };
}

/**
 * Table sizes in rows: every table gets a small base; the odd ones (no empty tail) grow by seeded random
 * shares of the rest, so sizes are mixed and unrelated to age, and vacuumdb's size order is not a tie.
 */
function extraRows(): number[] {
  const baseMb = Math.max(1, Math.floor(totalMb / tableCount / 5));
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const weights = Array.from({ length: tableCount }, (_, i) => (i % 2 === 0 ? 0.05 + random() : 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  const restRows = Math.max(0, totalMb - baseMb * tableCount) * ROWS_PER_MB;
  return weights.map((w) => Math.round((w / sum) * restRows));
}

/** The bench template: a stopped stop-zone cluster with its holder, built once per option set and kept in the lab root. */
async function benchTemplate(): Promise<string> {
  const key = `t${tableCount}-mb${totalMb}-s${ageStep}-v2`;
  const dir = join(labRoot(), 'templates', `bench-freeze-${key}`);
  const dataDir = join(dir, 'data');
  if (existsSync(join(dir, 'ready'))) return dataDir;
  rmSync(dir, { recursive: true, force: true });
  const baseRows = Math.max(1000, Math.floor(totalMb / tableCount / 5) * ROWS_PER_MB);
  log(`building the bench template: ${tableCount} tables, ages ${ageStep.toLocaleString('en-US')} XIDs apart (a restart per table), ~${totalMb} MB …`);
  const started = performance.now();
  const aged = await wraparoundTemplate({ kind: 'xid', tableCount, rowsPerTable: baseRows, ageStep });
  const cluster = await Cluster.copyOf(aged.dataDir, { needs: ['pg_resetwal'], label: 'bench-freeze-template' });
  try {
    // Grow the tables without empty tails (appending to one would fill its tail), then ANALYZE: relpages as
    // production has them (autovacuum analyzes), so vacuumdb orders by real sizes. Neither touches relfrozenxid.
    const extra = extraRows();
    for (const [i, table] of aged.tables.entries()) {
      if (extra[i]! > 0) {
        await cluster.sql(
          `INSERT INTO ${table.table} SELECT g, repeat(md5(g::text), 4) FROM generate_series($1::bigint, $2::bigint) g`,
          [baseRows + 1, baseRows + extra[i]!],
          aged.database,
        );
      }
      await cluster.sql(`ANALYZE ${table.table}`, [], aged.database);
    }
    const fault = await xidWraparound(cluster, { zone: 'stop' });
    // Autovacuum stays off in every copy (only its emergency worker can start, and does, in every run alike).
    await cluster.sql('ALTER SYSTEM SET autovacuum = off');
    const { rows } = await cluster.sql<{ mb: number }>(`SELECT (pg_database_size('incident') / 1048576)::int AS mb`);
    await cluster.stop();
    mkdirSync(dir, { recursive: true });
    renameSync(cluster.dataDir, dataDir);
    writeFileSync(join(dir, 'gid'), fault.gid);
    writeFileSync(join(dir, 'ready'), `${new Date().toISOString()} ${rows[0]!.mb} MB; tables oldest first: ${fault.tables.map((t) => `${t.table} ${t.pages}p`).join(', ')}\n`);
    log(`bench template ready in ${((performance.now() - started) / 1000).toFixed(0)} s: database "incident" ${rows[0]!.mb} MB (${dir})`);
  } finally {
    await cluster.destroy();
  }
  return dataDir;
}

/** Start a copy, quiet autovacuum, roll the holder back: the stop zone with nothing in the way. */
async function freshCopy(templateDataDir: string, gid: string): Promise<Cluster> {
  const cluster = await Cluster.copyOf(templateDataDir, { label: 'bench-freeze' });
  let quiet = 0;
  for (let i = 0; i < 400 && quiet < 10; i++) {
    const { rows } = await cluster.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type IN ('autovacuum worker', 'autovacuum launcher')`);
    quiet = rows.length === 0 ? quiet + 1 : 0;
    if (rows.length > 0) await cluster.sql('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [rows.map((r) => r.pid)]);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rows } = await cluster.sql<{ oldest: number }>('SELECT max(age(datfrozenxid))::int AS oldest FROM pg_database');
  if (rows[0]!.oldest < STOP_AGE) throw new Error(`the copy is not in the stop zone (oldest age ${rows[0]!.oldest})`);
  await cluster.sql(`ROLLBACK PREPARED '${gid.replace(/'/g, "''")}'`, [], 'incident');
  return cluster;
}

async function measure(contender: Contender, cluster: Cluster): Promise<Measured> {
  const poller = new pg.Client({ ...cluster.connectionConfig('postgres'), application_name: 'bench-poller' });
  await poller.connect();
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const measured: Measured = { finished: 0, attempts: 0, note: '' };
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const { rows } = await poller.query<{ oldest: number; oldest_conn: number }>(
        `SELECT max(age(datfrozenxid))::int AS oldest, (max(age(datfrozenxid)) FILTER (WHERE datallowconn))::int AS oldest_conn FROM pg_database`,
      );
      const at = now();
      if (measured.stopExit === undefined && rows[0]!.oldest < STOP_AGE) measured.stopExit = at;
      if (measured.underTarget === undefined && rows[0]!.oldest_conn <= TARGET) measured.underTarget = at;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  const notes: string[] = [];
  try {
    while (measured.attempts < 3 && now() * 1000 < timeoutMs) {
      measured.attempts++;
      const { ok, note } = await contender.run(cluster);
      notes.push(note);
      if (ok) break;
    }
    measured.finished = now();
    // The last advance of datfrozenxid is seen by the next poll.
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
  } finally {
    polling = false;
    await poll.catch(() => {});
    await poller.end();
  }
  measured.note = notes.join(' | ');
  return measured;
}

const templateDataDir = await benchTemplate();
const gid = readFileSync(join(templateDataDir, '..', 'gid'), 'utf8');
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
process.exitCode = goalMet ? 0 : 1;
