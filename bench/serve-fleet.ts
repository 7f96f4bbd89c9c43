import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { Cluster } from '@mvcc-doctor/lab';
import { growTables } from './build-tables.js';
import { startDaemon, startExporter, targetSpec, type Exporter } from './serve-daemons.js';
import { procTable, stopProcess, tempDir, UsageWatch, type Started } from './serve-proc.js';
import { parseExposition, scrape } from './serve-scrape.js';
import { inspectStore, storeFileBytes, type StoreSize } from './serve-store.js';

export interface FleetOptions {
  clusters: number;
  minutes: number;
  intervalSeconds: number;
  major?: number;
  log: (line: string) => void;
}

/** Latencies (ms) of one endpoint over the window; bytes and samples of its last scrape (summed over a group). */
export interface Endpoint {
  ms: number[];
  bytes: number;
  samples: number;
  errors: number;
}

export interface Usage {
  cpuPercent: number;
  cpuSeconds: number;
  seconds: number;
  rssFirst: number;
  rssMax: number;
  rssLast: number;
}

/** The processes compared. */
export const WATCHED = ['mvcc-doctor serve', 'postgres_exporter, one per cluster', 'postgres_exporter, one for all'] as const;
export type Watched = (typeof WATCHED)[number];

export interface FleetResult {
  version: string;
  usage: Record<Watched, Usage>;
  endpoints: Record<string, Endpoint>;
  /** The daemon's own observation durations (ms), as /api/clusters reported them over the window. */
  observationMs: number[];
  /** pg_exporter_last_scrape_duration_seconds (ms) of the exporter for all, per scrape. */
  exporterScrapeMs: number[];
  /**
   * How far apart the clusters' observations start within an interval (ms, the smallest arc that holds every start
   * time modulo the interval), per scrape: near 0 means all clusters are read at the same moment.
   */
  startSpreadMs: number[];
  /** Samples per cluster per observation by metric (from the last scrape of the daemon's /metrics), most first. */
  pointsByMetric: Array<[string, number]>;
  store: StoreSize;
  /** Store files while the daemon still ran (its WAL not yet checkpointed). */
  storeBytesRunning: number;
  /** New sessions per cluster per minute over the window, every client's (pg_stat_database_sessions, PostgreSQL 14+). */
  sessionsPerMinute?: number;
  /** Minutes from the daemon's start to its stop: what the store holds. */
  daemonMinutes: number;
  daemonExit: string;
}

/** Clusters that get a light write load (about 10 XIDs a second each), so XID rates and forecasts are not all zero. */
const LOADED = 3;

/**
 * Debian's exporter (0.11.1) has no /probe endpoint. Its README gives two layouts, both measured: one exporter per
 * server (what its package sets up on each host), and one exporter with the servers as a comma-separated
 * DATA_SOURCE_NAME. The latter answers every scrape with HTTP 500 (its bgwriter and database collectors report
 * their scrape metrics once per server without a server label: "collected before with the same name and label
 * values") unless those two collectors are turned off, as a user then does.
 */
const ONE_FOR_ALL_ARGS = ['--no-collector.bgwriter', '--no-collector.database'];

/**
 * N small clusters (copies of one template: databases postgres and app, 50 tables), the daemon as a process, and
 * Debian's postgres_exporter in both layouts over the same clusters, every /metrics scraped each interval as
 * Prometheus would. CPU and RSS of each are sampled every second over a window that starts once every cluster was
 * observed once.
 */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const { log } = options;
  // The logging collector on (csvlog): the daemon reads every cluster's server log through SQL, as it does by default.
  const template = await Cluster.create({ major: options.major, label: 'bench-serve-template', log: { csv: true } });
  const clusters: Cluster[] = [];
  const loaders: pg.Client[] = [];
  let loading = true;
  let loadLoop: Promise<unknown> = Promise.resolve();
  const started: Started[] = [];
  try {
    await template.sql('CREATE DATABASE app');
    await growTables(template, 'app', { tables: 50 });
    await template.stop();
    log(`starting ${options.clusters} copies of a PostgreSQL ${template.version} template …`);
    for (let i = 0; i < options.clusters; i += 4) {
      const batch = Array.from({ length: Math.min(4, options.clusters - i) }, () => Cluster.copyOf(template.dataDir, { label: 'bench-serve' }));
      const copies = await Promise.allSettled(batch);
      for (const s of copies) if (s.status === 'fulfilled') clusters.push(s.value);
      const failed = copies.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    await template.destroy();

    for (const cluster of clusters.slice(0, LOADED)) loaders.push(await cluster.connect('app', 'bench-load'));
    loadLoop = Promise.all(
      loaders.map(async (client) => {
        while (loading) {
          await client.query('UPDATE t_20 SET n = n + 1 WHERE id = 50');
          await sleep(100);
        }
      }),
    ).catch((error: Error) => log(`the write load stopped: ${error.message}`));

    const dataDir = tempDir('mvcc-bench-serve-');
    const daemonStarted = performance.now();
    const daemon = await startDaemon(
      clusters.map((c, i) => targetSpec(`c${String(i + 1).padStart(2, '0')}`, c)),
      { dataDir, interval: `${options.intervalSeconds}s` },
    );
    started.push(daemon);
    const sidecars: Exporter[] = [];
    for (const cluster of clusters) started.push(sidecars[sidecars.push(await startExporter([cluster])) - 1]!);
    const oneForAll = await startExporter(clusters, ONE_FOR_ALL_ARGS);
    started.push(oneForAll);
    const jobs: Record<string, string[]> = {
      'serve /metrics': [new URL('/metrics', daemon.url).href],
      'serve /api/clusters': [new URL('/api/clusters', daemon.url).href],
      [`exporter /metrics, one per cluster (x${clusters.length})`]: sidecars.map((e) => e.metricsUrl),
      'exporter /metrics, one for all': [oneForAll.metricsUrl],
    };
    log(`daemon ${daemon.url} (pid ${daemon.child.pid}), ${sidecars.length} + 1 exporters; waiting for a first look at every cluster …`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const body = JSON.parse((await scrape(jobs['serve /api/clusters']![0]!)).body) as { clusters: Array<{ last_observation_at: string | null }> };
      if (body.clusters.every((c) => c.last_observation_at !== null)) break;
      if (Date.now() > deadline) throw new Error('the daemon did not observe every cluster within 2 minutes');
      await sleep(500);
    }
    // A first scrape of each exporter: they connect lazily, on the first scrape.
    await Promise.all([...sidecars, oneForAll].map((e) => scrape(e.metricsUrl)));

    const pidsOf = (list: Started[]) => list.map((s) => s.child.pid!);
    const watches: Record<Watched, UsageWatch> = {
      'mvcc-doctor serve': new UsageWatch(pidsOf([daemon])),
      'postgres_exporter, one per cluster': new UsageWatch(pidsOf(sidecars)),
      'postgres_exporter, one for all': new UsageWatch(pidsOf([oneForAll])),
    };
    const endpoints: Record<string, Endpoint> = Object.fromEntries(Object.keys(jobs).map((k) => [k, { ms: [], bytes: 0, samples: 0, errors: 0 }]));
    const observationMs: number[] = [];
    const exporterScrapeMs: number[] = [];
    // Sessions opened so far on every cluster, read from the exporter for all at each scrape.
    const sessions: number[] = [];
    const startSpreadMs: number[] = [];
    let pointsByMetric = new Map<string, number>();
    const sampleAll = () => {
      const all = procTable();
      for (const watch of Object.values(watches)) watch.sample(all);
    };
    sampleAll();
    const rssFirst = Object.fromEntries(WATCHED.map((w) => [w, watches[w].summary().rssLast])) as Record<Watched, number>;
    const windowMs = options.minutes * 60_000;
    const windowStart = performance.now();
    log(`watching for ${options.minutes} min (every cluster observed; the window starts now) …`);
    // The bench's own work (reading /proc, parsing a scrape) must not delay the answer it is timing: scrapes run one
    // at a time, are parsed once the round is over, and the sampler waits while one is in flight.
    let scraping = false;
    const sampler = (async () => {
      while (performance.now() - windowStart < windowMs) {
        await sleep(1000);
        if (!scraping) sampleAll();
      }
    })();
    let tick = 0;
    while (performance.now() - windowStart < windowMs) {
      const bodies: Array<{ name: string; url: string; body: string }> = [];
      for (const [name, urls] of Object.entries(jobs)) {
        for (const url of urls) {
          scraping = true;
          try {
            const got = await scrape(url);
            endpoints[name]!.ms.push(got.ms);
            bodies.push({ name, url, body: got.body });
          } catch {
            endpoints[name]!.errors++;
          } finally {
            scraping = false;
          }
        }
      }
      for (const endpoint of Object.values(endpoints)) Object.assign(endpoint, { bytes: 0, samples: 0 });
      for (const { name, url, body } of bodies) {
        const endpoint = endpoints[name]!;
        endpoint.bytes += Buffer.byteLength(body);
        if (name === 'serve /api/clusters') {
          const view = JSON.parse(body) as { clusters: Array<{ observation_ms: number | null; last_observation_at: string | null }> };
          endpoint.samples += view.clusters.length;
          for (const c of view.clusters) if (c.observation_ms !== null) observationMs.push(c.observation_ms);
          const starts = view.clusters.flatMap((c) => (c.last_observation_at ? [Date.parse(c.last_observation_at) % (options.intervalSeconds * 1000)] : []));
          startSpreadMs.push(spread(starts, options.intervalSeconds * 1000));
          continue;
        }
        const samples = parseExposition(body);
        endpoint.samples += samples.length;
        if (name === 'serve /metrics') {
          pointsByMetric = new Map();
          for (const sample of samples) pointsByMetric.set(sample.name, (pointsByMetric.get(sample.name) ?? 0) + 1 / clusters.length);
        }
        if (url === oneForAll.metricsUrl) {
          const own = samples.find((x) => x.name === 'pg_exporter_last_scrape_duration_seconds');
          if (own) exporterScrapeMs.push(own.value * 1000);
          const opened = samples.filter((x) => x.name === 'pg_stat_database_sessions');
          if (opened.length > 0) sessions.push(opened.reduce((sum, x) => sum + x.value, 0));
        }
      }
      tick++;
      if (tick % Math.max(1, Math.round(60 / options.intervalSeconds)) === 0) {
        const line = WATCHED.map((w) => `${w} ${watches[w].summary().cpuPercent.toFixed(2)} %, ${mb(watches[w].summary().rssLast)} MB`).join('; ');
        log(`  ${((performance.now() - windowStart) / 60_000).toFixed(1)} min: ${line}`);
      }
      const next = windowStart + tick * options.intervalSeconds * 1000;
      await sleep(Math.max(0, Math.min(next, windowStart + windowMs) - performance.now()));
    }
    await sampler;
    sampleAll();
    const storeBytesRunning = storeFileBytes(dataDir);
    const exit = await stopProcess(daemon.child);
    const daemonMinutes = (performance.now() - daemonStarted) / 60_000;
    const store = await inspectStore(dataDir);
    return {
      version: clusters[0]!.version,
      usage: Object.fromEntries(WATCHED.map((w) => [w, { ...watches[w].summary(), rssFirst: rssFirst[w] }])) as Record<Watched, Usage>,
      endpoints,
      observationMs,
      exporterScrapeMs,
      startSpreadMs,
      pointsByMetric: [...pointsByMetric].sort((a, b) => b[1] - a[1]),
      store,
      storeBytesRunning,
      sessionsPerMinute: sessions.length > 1 ? (sessions.at(-1)! - sessions[0]!) / clusters.length / (((tick - 1) * options.intervalSeconds) / 60) : undefined,
      daemonMinutes,
      daemonExit: exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`,
    };
  } finally {
    await Promise.all(started.map((p) => stopProcess(p.child)));
    loading = false;
    await loadLoop.catch(() => undefined);
    await Promise.allSettled(loaders.map((c) => c.end()));
    await Promise.allSettled([template.destroy(), ...clusters.map((c) => c.destroy())]);
  }
}

/** The shortest arc of a circle of `period` holding every point (times modulo the interval). */
function spread(points: number[], period: number): number {
  if (points.length < 2) return 0;
  const sorted = [...points].sort((a, b) => a - b);
  let widestGap = period - sorted.at(-1)! + sorted[0]!;
  for (let i = 1; i < sorted.length; i++) widestGap = Math.max(widestGap, sorted[i]! - sorted[i - 1]!);
  return period - widestGap;
}

export const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
