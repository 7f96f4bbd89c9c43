import { Cluster, type ClusterOptions, vacuumVerbose, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import type { Finding } from '../../src/engine/finding.js';
import type { CommandIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { diagnose, type DiagnoseOptions } from '../../src/diagnose.js';
import type { Report } from '../../src/report/report.js';

/** Every horizon threshold at zero: a healthy cluster must stay silent even so (nothing pins, nothing waits). */
export const ALL_ZERO = Object.freeze({ idleInTransactionSeconds: 0, longTransactionSeconds: 0, preparedTransactionSeconds: 0, horizonXids: 0, horizonSeconds: 0, slotXids: 0 });

/** What a cluster without pg_stat_statements (every lab cluster unless asked) reports as skipped, and why. */
export const NO_PG_STAT_STATEMENTS = Object.freeze({
  what: 'queries',
  reason: 'pg_stat_statements is not loaded: add it to shared_preload_libraries (a restart), then CREATE EXTENSION pg_stat_statements',
});

/** The skips that say something is wrong with access or reading: all but the absent pg_stat_statements. */
export function realSkips(skipped: Report['skipped']): Report['skipped'] {
  return skipped.filter((s) => !(s.what === NO_PG_STAT_STATEMENTS.what && s.reason === NO_PG_STAT_STATEMENTS.reason));
}

/** check with every horizon threshold at zero, as a healthy case runs it: nothing may be skipped either. */
export async function checkAtZero(cluster: Cluster): Promise<Report> {
  const report = await check(cluster, { thresholds: ALL_ZERO });
  expect(realSkips(report.skipped)).toEqual([]);
  return report;
}

/** `mvcc-doctor check` as the library runs it, against a lab cluster, without the XID sample unless asked. */
export async function check(cluster: Cluster, options: DiagnoseOptions & { user?: string; password?: string; database?: string } = {}): Promise<Report> {
  const { user, password, database, ...rest } = options;
  const url = new URL(cluster.connectionString(database));
  if (user) url.username = user;
  if (password) url.password = password;
  return diagnose(resolveConnOptions({ conninfo: url.toString() }), { sampleMs: 0, ...rest });
}

/** The findings of one check. */
export function findingsOf(report: Report, id: string): Finding[] {
  return report.findings.filter((f) => f.check === id);
}

/** An in-memory CommandIO, so the CLI runs in-process with its output captured. */
export function memoryIO(env: Record<string, string | undefined> = {}): CommandIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    env,
    color: false,
    interactive: false,
    stdout: () => out,
    stderr: () => err,
  };
}

/** Run the CLI in-process: exit code and captured output. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIO(env);
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/**
 * Until the statistics show `table` with at least `dead` dead tuples (and a VACUUM when `vacuumed`): PG 15+
 * flushes a backend's counters lazily, PG 14 sends them to the stats collector over UDP.
 */
export async function statsShow(cluster: Cluster, table: string, expected: { dead?: number; inserted?: number; vacuumed?: boolean }, database = 'postgres'): Promise<void> {
  if (cluster.major >= 15) await cluster.sql('SELECT pg_stat_force_next_flush()', [], database);
  await waitFor(async () => {
    if (cluster.major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()', [], database);
    const { rows } = await cluster.sql<{ dead: number; inserted: number; last: Date | null }>(
      'SELECT n_dead_tup::int AS dead, n_tup_ins::int AS inserted, coalesce(last_vacuum, last_autovacuum) AS last FROM pg_stat_all_tables WHERE relid = $1::regclass',
      [table],
      database,
    );
    const row = rows[0];
    return row && row.dead >= (expected.dead ?? 0) && row.inserted >= (expected.inserted ?? 0) && (!expected.vacuumed || row.last !== null);
  }, `the statistics of ${table} to show ${JSON.stringify(expected)}`);
}

/**
 * VACUUM (VERBOSE) a table once the statistics have counted its deletes (a late flush would add them again
 * after VACUUM set n_dead_tup), then wait for the VACUUM to show: n_dead_tup is then what it could not remove.
 */
export async function vacuumCounted(cluster: Cluster, table: string, deleted: number, database = 'postgres'): Promise<string> {
  await statsShow(cluster, table, { dead: deleted }, database);
  const verbose = await vacuumVerbose(cluster, table, database);
  await statsShow(cluster, table, { vacuumed: true }, database);
  return verbose;
}

/**
 * A cluster created with bad vacuum settings: autovacuum and track_counts off, freezing that starts late, a
 * failsafe below the freeze age, autovacuum throttled to a crawl.
 */
export const BAD_SETTINGS: ClusterOptions = Object.freeze({
  autovacuum: false,
  settings: { track_counts: false, autovacuum_freeze_max_age: 1_500_000_000, vacuum_failsafe_age: 100_000_000, autovacuum_vacuum_cost_delay: '50ms' },
});

/** A cluster per major version, each with a second database "shop", for a check tester suite per version. */
export function eachMajor(majors: number[], label: string, options: ClusterOptions = {}): { name: string; start: () => Promise<Cluster> }[] {
  return majors.map((major) => ({
    name: `PostgreSQL ${major}`,
    start: async () => {
      const cluster = await Cluster.create({ major, label: `${label}${major}`, ...options });
      await cluster.sql('CREATE DATABASE shop');
      return cluster;
    },
  }));
}
