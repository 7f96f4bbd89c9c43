import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type Cluster } from '@mvcc-doctor/lab';
import { startProcess, type Started } from './serve-proc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The daemon as a user runs it: node, the bin, everything it loads. */
export const BIN = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');
/** Debian's postgres_exporter (bookworm: 0.11.1, which has no /probe multi-target endpoint yet). */
export const EXPORTER = '/usr/bin/prometheus-postgres-exporter';
/** The example queries Debian ships beside it: what a user adds for per-table metrics (n_dead_tup, …). */
export const EXPORTER_QUERIES = '/usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml';

export function exporterAvailable(): boolean {
  return existsSync(EXPORTER);
}

/** A lab cluster as one of the daemon's targets: NAME=URL (no password: the lab trusts loopback). */
export function targetSpec(name: string, cluster: Cluster): string {
  return `${name}=${cluster.connectionString()}`;
}

export interface Daemon extends Started {
  /** The dashboard's address, e.g. http://127.0.0.1:41234/ */
  url: string;
}

/**
 * `mvcc-doctor serve` as a whole process with the embedded store in `dataDir`, listening on a free loopback port.
 * Only PATH and HOME reach it: no PG* variable of the bench's environment may redirect a target.
 */
export async function startDaemon(targets: string[], options: { dataDir: string; interval: string; extraArgs?: string[] }): Promise<Daemon> {
  const args = [
    BIN,
    'serve',
    ...targets.flatMap((t) => ['--target', t]),
    ...['--data', options.dataDir, '--interval', options.interval, '--listen', '127.0.0.1:0'],
    ...(options.extraArgs ?? []),
  ];
  const started = await startProcess(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    ready: /dashboard: (http:\/\/\S+)/,
  });
  return { ...started, url: started.match[1]! };
}

export interface Exporter extends Started {
  /** Its /metrics address. */
  metricsUrl: string;
}

/**
 * Debian's postgres_exporter over `clusters`: one process, the servers as a comma-separated DATA_SOURCE_NAME (the
 * way its README gives to scrape several instances from one exporter; 0.11.1 has no /probe endpoint), on a free
 * loopback port. `extraArgs`, e.g. --extend.query-path, as a user would add them.
 */
export async function startExporter(clusters: Cluster[], extraArgs: string[] = []): Promise<Exporter> {
  const port = await freePort();
  const dsn = clusters.map((c) => `postgresql://${c.user}@${c.host}:${c.port}/postgres?sslmode=disable`).join(',');
  const started = await startProcess(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`, ...extraArgs], {
    env: { PATH: process.env.PATH, DATA_SOURCE_NAME: dsn },
    ready: /Listening on/,
  });
  return { ...started, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}
