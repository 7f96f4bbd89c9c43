/**
 * `npm run bench:serve` — what `mvcc-doctor serve` costs, against Debian's postgres_exporter on the same clusters.
 *   1. snapshot: one observe() (the daemon's unit of work) on a --tables database, against the check floor (the bare
 *      catalog queries) and check in-process. Goal (issue 11): within 1.5x of the floor.
 *   2. fleet: the daemon as a process watching --clusters small clusters every --interval for --minutes, beside one
 *      postgres_exporter over the same clusters, both scraped every interval: CPU and RSS of each, scrape latencies.
 *      Budget: the daemon under 250 MB RSS and 5 % of one core at 20 clusters, 15 s.
 *   3. store: the embedded store's size after the fleet run, per cluster per day.
 *   4. coverage: the lab's faults, one at a time on one cluster: which metric of each tool shows each fault.
 *
 * Options: --minutes 10, --clusters 20, --tables 10000, --interval 15s, --runs 5 (snapshot rounds), --major 15,
 * --parts snapshot,coverage,fleet. Needs Node 22.13+ (the daemon's embedded store is node:sqlite) and
 * `apt-get install -y --no-install-recommends prometheus-postgres-exporter`. Every cluster and process it starts is
 * stopped by pid, also on Ctrl-C; everything listens on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Cluster } from '@mvcc-doctor/lab';
import { DEFAULT_LIMITS } from '../packages/doctor/src/connect/safe-session.js';
import { DEFAULT_THRESHOLDS } from '../packages/doctor/src/engine/thresholds.js';
import { observe } from '../packages/doctor/src/monitor/observe.js';
import { parseTarget } from '../packages/doctor/src/monitor/target.js';
import { growTables } from './build-tables.js';
import { checkInProcess, floor, type Contender } from './contenders.js';
import { runCoverage, TOOLS, type CoverageResult } from './serve-coverage.js';
import { EXPORTER, exporterAvailable } from './serve-daemons.js';
import { mb, runFleet, type FleetResult } from './serve-fleet.js';
import { stopAll } from './serve-proc.js';
import { quantile } from './serve-scrape.js';
import { median, table, timeInterleaved } from './timing.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GOAL_FLOOR_RATIO = 1.5;
const BUDGET_RSS_MB = 250;
const BUDGET_CPU_PERCENT = 5;
const PARTS = ['snapshot', 'coverage', 'fleet'] as const;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clusters: { type: 'string', default: '20' },
    tables: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '15s' },
    runs: { type: 'string', default: '5' },
    // Debian's exporter (0.11.1) predates PostgreSQL 17's pg_stat_checkpointer: on 17+ its bgwriter collector fails
    // every scrape. PostgreSQL 15 is what Debian ships beside it.
    major: { type: 'string', default: '15' },
    parts: { type: 'string', default: PARTS.join(',') },
  },
});
const minutes = Number(values.minutes);
const clusterCount = Number(values.clusters);
const tables = Number(values.tables);
const intervalSeconds = Number(values.interval.replace(/s$/, ''));
const runs = Number(values.runs);
const major = Number(values.major);
const parts = new Set(values.parts.split(','));
if (
  ![minutes, intervalSeconds].every((n) => n > 0) ||
  ![clusterCount, tables, runs, major].every((n) => Number.isInteger(n) && n > 0) ||
  [...parts].some((p) => !(PARTS as readonly string[]).includes(p))
) {
  console.error('usage: bench/serve.ts [--minutes 10] [--clusters 20] [--tables 10000] [--interval 15s] [--runs 5] [--major 15] [--parts snapshot,coverage,fleet]');
  process.exit(2);
}
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number) as [number, number];
if (nodeMajor < 22 || (nodeMajor === 22 && nodeMinor < 13)) {
  console.error(`the daemon's embedded store needs Node.js 22.13+ (node:sqlite); this is ${process.version}: put a newer node first on PATH`);
  process.exit(2);
}
if ((parts.has('fleet') || parts.has('coverage')) && !exporterAvailable()) {
  console.error(`${EXPORTER} is missing: apt-get install -y --no-install-recommends prometheus-postgres-exporter`);
  process.exit(2);
}
// Ctrl-C or a kill: exit, and the exit hooks stop what was started (the lab's clusters, the bench's processes).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const log = (text: string) => process.stderr.write(`${text}\n`);
const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(1) : value.toFixed(0));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
let goalsMet = true;

log(`building packages/doctor (the daemon runs dist/) … load average ${load()}`);
execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
const header = `${cpus().length} cores, Node ${process.versions.node}, load average at start ${load()}`;

try {
  if (parts.has('snapshot')) printSnapshot(await snapshot());
  if (parts.has('coverage')) {
    log('coverage: one cluster, the faults one at a time …');
    printCoverage(await runCoverage({ major, log }));
  }
  if (parts.has('fleet')) printFleet(await runFleet({ clusters: clusterCount, minutes, intervalSeconds, major, log }));
} finally {
  await stopAll();
}
console.log(`\ngoals (observe within ${GOAL_FLOOR_RATIO}x of the floor; daemon under ${BUDGET_RSS_MB} MB and ${BUDGET_CPU_PERCENT} % of a core): ${goalsMet ? 'met' : 'NOT met'}`);
process.exitCode = goalsMet ? 0 : 1;

interface SnapshotResult {
  version: string;
  floor: number;
  check: number;
  observe: number;
  samples: number;
}

/** Part 1: one observe() against the floor and check, interleaved, on a database of `tables` tables. */
async function snapshot(): Promise<SnapshotResult> {
  const cluster = await Cluster.create({ major, label: 'bench-serve-snapshot', autovacuum: false });
  try {
    await cluster.sql('CREATE DATABASE bench');
    const started = performance.now();
    await growTables(cluster, 'bench', { tables });
    log(`snapshot: ${tables} tables ready in ${((performance.now() - started) / 1000).toFixed(0)} s; ${runs} rounds after a warm-up …`);
    const target = parseTarget(`bench=${cluster.connectionString()}`);
    let samples = 0;
    const observeOnce: Contender = {
      name: 'observe()',
      async run() {
        const observation = await observe(target, { thresholds: DEFAULT_THRESHOLDS, limits: DEFAULT_LIMITS });
        if (!observation.ok) throw new Error(`observe failed: ${observation.error}`);
        const { report } = observation;
        if (!report.databases_examined.includes('bench') || report.skipped.length > 0) {
          throw new Error(`observe did not examine everything: ${JSON.stringify({ examined: report.databases_examined, skipped: report.skipped })}`);
        }
        samples = observation.samples.length;
      },
    };
    const timings = await timeInterleaved([floor(cluster), checkInProcess(cluster), observeOnce], runs, (round) => log(`  round ${round}/${runs}`));
    const m = (name: string) => median(timings.get(name)!);
    return { version: cluster.version, floor: m('floor'), check: m('check (in-process)'), observe: m('observe()'), samples };
  } finally {
    await cluster.destroy();
  }
}

function printSnapshot(r: SnapshotResult): void {
  const met = r.observe <= GOAL_FLOOR_RATIO * r.floor;
  if (!met) goalsMet = false;
  console.log(`\n1. one snapshot: PostgreSQL ${r.version}, ${header}; median of ${runs} runs after a warm-up, ms`);
  console.log(
    table(
      ['tables', 'floor', 'check (in-process)', 'observe()', 'observe/floor', 'check/floor', `goal <= ${GOAL_FLOOR_RATIO}x`],
      [[tables.toLocaleString('en-US'), ms(r.floor), ms(r.check), ms(r.observe), ratio(r.observe, r.floor), ratio(r.check, r.floor), met ? 'met' : 'NOT met']],
    ),
  );
  console.log(`observe() keeps ${r.samples} samples (series) of this cluster per observation`);
}

function printCoverage(r: CoverageResult): void {
  console.log(`\n4. coverage: PostgreSQL ${r.version}; each fault made alone on one cluster; "yes": a metric that names it, "partial": a number that moves but does not say what`);
  console.log(table(['fault', ...TOOLS, 'mvcc-doctor finding'], r.rows.map((row) => [row.fault, ...TOOLS.map((t) => row.tools[t].level), row.findings.join(', ') || '-'])));
  console.log('\nthe metrics, healthy (right before the fault) → with the fault:');
  for (const row of r.rows) {
    console.log(`- ${row.fault}`);
    for (const tool of TOOLS) {
      const shown = row.tools[tool];
      const notes = shown.notes.length ? ` (${shown.notes.join('; ')})` : '';
      console.log(`    ${tool}: ${shown.evidence.join('; ') || 'nothing'}${notes}`);
    }
  }
  console.log(`\none exporter for one cluster (the sidecar layout): ${mb(r.sidecarRss)} MB RSS`);
  for (const [tool, errors] of Object.entries(r.exporterErrors)) if (errors.length) console.log(`${tool} logged: ${errors.join(' | ')}`);
}

function printFleet(r: FleetResult): void {
  const d = r.usage['mvcc-doctor serve'];
  const cpuMet = d.cpuPercent < BUDGET_CPU_PERCENT;
  const rssMet = d.rssMax / 1048576 < BUDGET_RSS_MB;
  if (!cpuMet || !rssMet) goalsMet = false;
  console.log(
    `\n2. fleet: ${clusterCount} clusters (PostgreSQL ${r.version}, ${Math.min(3, clusterCount)} with ~10 writes/s), every ${intervalSeconds} s, ` +
      `${(d.seconds / 60).toFixed(1)} min window after every cluster was observed once; ${header}, at the end ${load()}`,
  );
  const pct = (x: number) => `${x.toFixed(2)} %`;
  const [sidecars, oneForAll] = [r.usage['postgres_exporter, one per cluster'], r.usage['postgres_exporter, one for all']];
  const row = (label: string, pick: (u: (typeof r.usage)[keyof typeof r.usage]) => number, format: (x: number) => string, budget = '') => [
    label,
    format(pick(d)),
    format(pick(sidecars)),
    format(pick(oneForAll)),
    ratio(pick(d), pick(sidecars)),
    ratio(pick(d), pick(oneForAll)),
    budget,
  ];
  console.log(
    table(
      ['', 'mvcc-doctor serve', `postgres_exporter x${clusterCount} (one per cluster)`, 'postgres_exporter (one for all)', 'serve/per cluster', 'serve/one for all', 'budget'],
      [
        row('CPU, % of one core', (u) => u.cpuPercent, pct, `< ${BUDGET_CPU_PERCENT} %: ${cpuMet ? 'met' : 'NOT met'}`),
        row('CPU seconds in the window', (u) => u.cpuSeconds, (x) => x.toFixed(1)),
        row('RSS max, MB', (u) => u.rssMax, mb, `< ${BUDGET_RSS_MB} MB: ${rssMet ? 'met' : 'NOT met'}`),
        row('RSS at window start, MB', (u) => u.rssFirst, mb),
        row('RSS at the end, MB', (u) => u.rssLast, mb),
      ],
    ),
  );
  const looks = (d.seconds / intervalSeconds) * clusterCount;
  console.log(`daemon CPU per cluster observation (its HTTP answers included): ${((d.cpuSeconds * 1000) / looks).toFixed(1)} ms`);
  if (r.sessionsPerMinute !== undefined) {
    console.log(`sessions opened per cluster per minute, every client's (pg_stat_database_sessions): ${r.sessionsPerMinute.toFixed(1)}`);
  }
  console.log('\nscrapes over the window, ms (request to last byte; bytes and samples of the last round, summed over a group):');
  console.log(
    table(
      ['endpoint', 'scrapes', 'p50', 'p95', 'max', 'bytes', 'samples', 'errors'],
      Object.entries(r.endpoints).map(([name, ep]) => [
        name,
        String(ep.ms.length),
        ms(quantile(ep.ms, 0.5)),
        ms(quantile(ep.ms, 0.95)),
        ms(quantile(ep.ms, 1)),
        ep.bytes.toLocaleString('en-US'),
        String(ep.samples),
        String(ep.errors),
      ]),
    ),
  );
  console.log(
    `the daemon's own observation time per cluster: p50 ${ms(quantile(r.observationMs, 0.5))}, p95 ${ms(quantile(r.observationMs, 0.95))}, max ${ms(quantile(r.observationMs, 1))} ms; ` +
      `the exporter for all, its own scrape of all ${clusterCount}: p50 ${ms(quantile(r.exporterScrapeMs, 0.5))}, max ${ms(quantile(r.exporterScrapeMs, 1))} ms`,
  );
  console.log(
    `the clusters' observations start within ${(quantile(r.startSpreadMs, 0.5) / 1000).toFixed(1)} s of each other in each ${intervalSeconds} s interval (median over the scrapes)`,
  );

  const s = r.store;
  const perObservation = s.points / Math.max(1, s.observations);
  const bytesPerPoint = s.pointBytes / Math.max(1, s.points);
  const literal = s.fileBytes / clusterCount / r.daemonMinutes * 1440;
  const steady = perObservation * (86_400 / intervalSeconds) * bytesPerPoint;
  console.log(`\n3. store (embedded, ${r.daemonMinutes.toFixed(1)} min of the daemon; it stopped with ${r.daemonExit}):`);
  console.log(
    table(
      ['', 'value'],
      [
        ['files after the stop (while running)', `${mb(s.fileBytes)} MB (${mb(r.storeBytesRunning)} MB)`],
        ['pages in use (of which the points tables)', `${mb(s.usedBytes)} MB (${mb(s.pointBytes)} MB)`],
        ['series / points / observations', `${s.series} / ${s.points.toLocaleString('en-US')} / ${s.observations}`],
        ['points per observation', perObservation.toFixed(1)],
        ['bytes per point (points tables / points)', bytesPerPoint.toFixed(1)],
        ['per cluster per day: files / clusters / minutes x 1440', `${mb(literal)} MB`],
        [`per cluster per day: points/observation x ${86_400 / intervalSeconds} x bytes/point`, `${mb(steady)} MB`],
        [`${clusterCount} clusters x 14 days (default retention), at that rate`, `${mb(steady * clusterCount * 14)} MB`],
      ],
    ),
  );
  const top = r.pointsByMetric.slice(0, 8).map(([name, n]) => `${name} ${n.toFixed(1)}`);
  console.log(`points per observation by metric (from /metrics, per cluster): ${top.join(', ')}`);
}
