import { setTimeout as sleep } from 'node:timers/promises';
import {
  autovacuumDisabled,
  Cluster,
  deadlocks,
  type Fault,
  idleInTransaction,
  lockBlocking,
  longTransaction,
  preparedTransaction,
  replicationSlot,
} from '@mvcc-doctor/lab';
import { EXPORTER_QUERIES, startDaemon, startExporter, targetSpec, type Daemon, type Exporter } from './serve-daemons.js';
import { stopProcess, tempDir, treeUsage } from './serve-proc.js';
import { parseExposition, scrape, type PromSample } from './serve-scrape.js';

export type Tool = 'mvcc-doctor' | 'postgres_exporter' | 'postgres_exporter + queries.yaml';
export const TOOLS: readonly Tool[] = ['mvcc-doctor', 'postgres_exporter', 'postgres_exporter + queries.yaml'];

/** A metric that may show a fault: which series, and what change of value counts as showing it. */
interface Candidate {
  metric: string;
  labels?: (labels: Record<string, string>) => boolean;
  /** After the fault against right before it; a value is the largest of the matching series (undefined: none). */
  shows: (after: number | undefined, before: number | undefined) => boolean;
  /** "partial": the number moves, but does not tell what the fault is. */
  level: 'yes' | 'partial';
  /** What a reader of the metric learns (and, for partial, what it does not tell). */
  note?: string;
}

const rise = (after: number | undefined, before: number | undefined) => (after ?? 0) > (before ?? 0);
const appears = (after: number | undefined, before: number | undefined) => after !== undefined && before === undefined;
const over = (limit: number) => (after: number | undefined, before: number | undefined) => (after ?? 0) > limit && !((before ?? 0) > limit);
const zeroAppears = (after: number | undefined, before: number | undefined) => after === 0 && before === undefined;
const is = (key: string, value: string) => (labels: Record<string, string>) => labels[key] === value;
const has = (key: string, part: string) => (labels: Record<string, string>) => (labels[key] ?? '').includes(part);

/** One lab fault, and the metrics of each tool that could show it. */
interface Scenario {
  name: string;
  make(cluster: Cluster): Promise<{ fault: Fault; names: Record<string, string> }>;
  /** Per tool; the queries.yaml exporter is also judged by the plain exporter's candidates. */
  candidates: (names: Record<string, string>) => Partial<Record<Tool, Candidate[]>>;
}

/** Made one at a time on one cluster (so a change is the fault's own), each released before the next. */
const SCENARIOS: Scenario[] = [
  {
    name: 'idle in transaction (holds an XID)',
    make: async (c) => ({ fault: await idleInTransaction(c, { deadRows: 200, applicationName: 'orders-api' }), names: {} }),
    candidates: () => ({
      'mvcc-doctor': [
        { metric: 'mvcc_idle_in_transaction_oldest_seconds', labels: is('database', 'postgres'), shows: over(1), level: 'yes' },
        { metric: 'mvcc_xmin_horizon_age_xids', labels: is('holder_kind', 'idle-in-transaction'), shows: appears, level: 'yes' },
      ],
      postgres_exporter: [
        { metric: 'pg_stat_activity_max_tx_duration', labels: is('state', 'idle in transaction'), shows: over(1), level: 'yes' },
        { metric: 'pg_stat_activity_count', labels: is('state', 'idle in transaction'), shows: rise, level: 'yes' },
      ],
    }),
  },
  {
    name: 'long-running statement (snapshot held)',
    make: async (c) => ({ fault: await longTransaction(c, { deadRows: 200 }), names: {} }),
    candidates: () => ({
      'mvcc-doctor': [
        { metric: 'mvcc_transaction_oldest_seconds', labels: is('database', 'postgres'), shows: over(1), level: 'yes' },
        { metric: 'mvcc_xmin_horizon_age_seconds', labels: is('holder_kind', 'session'), shows: over(1), level: 'yes' },
      ],
      postgres_exporter: [{ metric: 'pg_stat_activity_max_tx_duration', labels: is('state', 'active'), shows: over(1), level: 'yes' }],
    }),
  },
  {
    name: 'orphaned prepared transaction',
    make: async (c) => {
      const fault = await preparedTransaction(c, { deadRows: 200 });
      return { fault, names: { gid: fault.gid } };
    },
    candidates: (n) => ({
      'mvcc-doctor': [
        { metric: 'mvcc_prepared_transactions', labels: is('database', 'postgres'), shows: rise, level: 'yes' },
        { metric: 'mvcc_xmin_horizon_age_xids', labels: has('holder', n.gid!), shows: appears, level: 'yes' },
      ],
      postgres_exporter: [
        {
          metric: 'pg_locks_count',
          labels: is('mode', 'rowexclusivelock'),
          shows: rise,
          level: 'partial',
          note: 'more locks of a mode; no metric says a prepared transaction holds them, or its age',
        },
      ],
    }),
  },
  {
    name: 'abandoned replication slots (logical + physical)',
    make: async (c) => {
      const fault = await replicationSlot(c, { physical: true, deadRows: 200 });
      return { fault, names: { logical: fault.logical!.name, physical: fault.physical!.name } };
    },
    candidates: (n) => ({
      'mvcc-doctor': [
        { metric: 'mvcc_replication_slot_xmin_age_xids', labels: is('slot', n.logical!), shows: appears, level: 'yes' },
        { metric: 'mvcc_replication_slot_active', labels: is('slot', n.physical!), shows: zeroAppears, level: 'yes' },
      ],
      postgres_exporter: [
        {
          metric: 'pg_replication_slots_active',
          labels: is('slot_name', n.logical!),
          shows: zeroAppears,
          level: 'partial',
          note: 'an inactive slot and its WAL distance; not the xmin/catalog_xmin that holds VACUUM back',
        },
      ],
    }),
  },
  {
    name: 'lock queue behind an ALTER TABLE',
    make: async (c) => ({ fault: await lockBlocking(c, { readers: 3, applicationName: 'report-job' }), names: {} }),
    candidates: () => ({
      'mvcc-doctor': [
        { metric: 'mvcc_lock_waiters', labels: is('database', 'postgres'), shows: rise, level: 'yes' },
        { metric: 'mvcc_lock_wait_oldest_seconds', labels: is('database', 'postgres'), shows: over(1), level: 'yes' },
      ],
      postgres_exporter: [
        {
          metric: 'pg_locks_count',
          labels: is('mode', 'accessexclusivelock'),
          shows: rise,
          level: 'partial',
          note: 'lock counts by mode, granted and waiting alike: no waiters, no wait time',
        },
      ],
    }),
  },
  {
    name: 'deadlock',
    make: async (c) => ({ fault: await deadlocks(c), names: {} }),
    candidates: () => ({
      'mvcc-doctor': [{ metric: 'mvcc_deadlocks_total', labels: is('database', 'postgres'), shows: rise, level: 'yes' }],
      postgres_exporter: [{ metric: 'pg_stat_database_deadlocks', labels: is('datname', 'postgres'), shows: rise, level: 'yes' }],
    }),
  },
  {
    name: 'autovacuum disabled on a table (10,000 dead tuples)',
    make: async (c) => {
      const fault = await autovacuumDisabled(c, { rows: 20_000, deadFraction: 0.5 });
      return { fault, names: { table: fault.table.replace(/^public\./, '').replace(/"/g, '') } };
    },
    candidates: (n) => ({
      'mvcc-doctor': [{ metric: 'mvcc_table_dead_tuples', labels: has('table', n.table!), shows: over(1000), level: 'yes' }],
      'postgres_exporter + queries.yaml': [
        {
          metric: 'pg_stat_user_tables_n_dead_tup',
          labels: is('relname', n.table!),
          shows: over(1000),
          level: 'partial',
          note: 'dead tuples of every table (one series per table); not that autovacuum is off for it',
        },
      ],
    }),
  },
];

/** What one tool's metrics showed of one fault. */
export interface Shown {
  level: 'yes' | 'partial' | 'no';
  /** Each candidate that showed it: metric{labels} before → after. */
  evidence: string[];
  notes: string[];
}

export interface CoverageRow {
  fault: string;
  tools: Record<Tool, Shown>;
  /** Checks of ours whose findings opened with the fault. */
  findings: string[];
}

export interface CoverageResult {
  version: string;
  rows: CoverageRow[];
  /** RSS of one exporter watching one cluster (the sidecar layout), after the run. */
  sidecarRss: number;
  exporterErrors: Record<string, string[]>;
}

interface Scraped {
  samples: Record<Tool, PromSample[]>;
  findings: Set<string>;
}

export async function runCoverage(options: { major?: number; log: (line: string) => void }): Promise<CoverageResult> {
  const cluster = await Cluster.create({ major: options.major, label: 'bench-serve-coverage' });
  let daemon: Daemon | undefined;
  let exporters: Exporter[] = [];
  try {
    // A 1 s interval and thresholds of a second (as the demo lowers them), so each fault is seen, and its finding
    // opens, a moment after it is made. The metrics do not depend on thresholds.
    const thresholds = ['idleInTransactionSeconds', 'longTransactionSeconds', 'preparedTransactionSeconds', 'horizonSeconds', 'lockWaitSeconds'];
    daemon = await startDaemon([targetSpec('cov', cluster)], {
      dataDir: tempDir('mvcc-bench-cov-'),
      interval: '1s',
      extraArgs: [...thresholds.flatMap((t) => ['--threshold', `${t}=1`]), '--threshold', 'slotXids=1'],
    });
    exporters = [await startExporter([cluster]), await startExporter([cluster], [`--extend.query-path=${EXPORTER_QUERIES}`])];
    const urls: Record<Tool, string> = {
      'mvcc-doctor': new URL('/metrics', daemon.url).href,
      postgres_exporter: exporters[0]!.metricsUrl,
      'postgres_exporter + queries.yaml': exporters[1]!.metricsUrl,
    };
    const d = daemon;
    const read = async (after: number): Promise<Scraped> => {
      await observedAfter(d.url, after);
      const samples = {} as Record<Tool, PromSample[]>;
      for (const tool of TOOLS) samples[tool] = parseExposition((await scrape(urls[tool])).body);
      const report = JSON.parse((await scrape(new URL('/api/findings?cluster=cov', d.url).href)).body) as { report: { findings: Array<{ check: string }> } };
      return { samples, findings: new Set(report.report.findings.map((f) => f.check)) };
    };
    const rows: CoverageRow[] = [];
    for (const scenario of SCENARIOS) {
      options.log(`  fault: ${scenario.name}`);
      const before = await read(Date.now());
      const { fault, names } = await scenario.make(cluster);
      try {
        const madeAt = Date.now();
        await sleep(2500); // durations past 1 s: a fault that lasts, not a blip
        const after = await read(madeAt + 2000);
        const candidates = scenario.candidates(names);
        const tools = {} as Record<Tool, Shown>;
        for (const tool of TOOLS) {
          const own = candidates[tool] ?? [];
          const inherited = tool === 'postgres_exporter + queries.yaml' ? (candidates.postgres_exporter ?? []) : [];
          tools[tool] = judge([...inherited, ...own], before.samples[tool], after.samples[tool]);
        }
        rows.push({ fault: scenario.name, tools, findings: [...after.findings].filter((f) => !before.findings.has(f)) });
      } finally {
        await fault.release();
      }
    }
    const sidecarRss = treeUsage([exporters[0]!.child.pid!]).rssBytes;
    const exporterErrors = Object.fromEntries(
      exporters.map((e, i) => [TOOLS[i + 1]!, [...new Set(e.output().split('\n').flatMap((l) => /level=(?:error|warn)|err=/.test(l) ? [l.replace(/^ts=\S+ caller=\S+ /, '')] : []))].slice(0, 3)]),
    );
    return { version: cluster.version, rows, sidecarRss, exporterErrors };
  } finally {
    await Promise.all([daemon, ...exporters].map((p) => p && stopProcess(p.child)));
    await cluster.destroy();
  }
}

function judge(candidates: Candidate[], before: PromSample[], after: PromSample[]): Shown {
  const shown: Shown = { level: 'no', evidence: [], notes: [] };
  for (const candidate of candidates) {
    const pick = (samples: PromSample[]) => {
      const matching = samples.filter((s) => s.name === candidate.metric && (candidate.labels?.(s.labels) ?? true) && !Number.isNaN(s.value));
      return matching.length === 0 ? undefined : matching.reduce((a, b) => (b.value > a.value ? b : a));
    };
    const a = pick(after);
    const b = pick(before);
    if (!candidate.shows(a?.value, b?.value)) continue;
    const labels = Object.entries(a!.labels)
      .filter(([k]) => !['cluster', 'server', 'datid'].includes(k))
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    shown.evidence.push(`${candidate.metric}{${labels}} ${value(b?.value)} → ${value(a?.value)}`);
    if (candidate.note) shown.notes.push(candidate.note);
    if (candidate.level === 'yes' || shown.level === 'no') shown.level = candidate.level;
  }
  return shown;
}

const value = (v: number | undefined) => (v === undefined ? 'none' : Number.isInteger(v) ? String(v) : v.toFixed(1));

/** Wait until the daemon has finished an observation that started after `at` (epoch ms). */
async function observedAfter(url: string, at: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const body = JSON.parse((await scrape(new URL('/api/clusters', url).href)).body) as { clusters: Array<{ last_observation_at: string | null }> };
    const last = body.clusters[0]?.last_observation_at;
    if (last && Date.parse(last) > at) return;
    if (Date.now() > deadline) throw new Error('the daemon made no observation for a minute');
    await sleep(200);
  }
}
