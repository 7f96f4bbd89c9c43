import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { runCli } from '../packages/doctor/src/cli/run-cli.js';
import { CLUSTER_DATASETS } from '../packages/doctor/src/collect/cluster-datasets.js';
import { DATABASE_DATASETS } from '../packages/doctor/src/collect/database-datasets.js';
import { sqlFor } from '../packages/doctor/src/collect/dataset.js';
import type { Cluster } from '@mvcc-doctor/lab';
import type { Report } from '../packages/doctor/src/report/report.js';

/** One timed thing; `run` throws when the contender did not do its job (so a failure is never timed as fast). */
export interface Contender {
  name: string;
  run(): Promise<void>;
}

/**
 * The floor: exactly the SQL of the datasets `check` reads, on plain pg, one connection per database, one query
 * after the other, rows fetched and dropped. No checks, no rendering, no safety settings.
 */
export function floor(cluster: Cluster): Contender {
  return {
    name: 'floor',
    async run() {
      const entry = new pg.Client(cluster.connectionConfig('postgres'));
      await entry.connect();
      try {
        const [{ v }] = (await entry.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`)).rows as [{ v: number }];
        const rows: Record<string, unknown[]> = {};
        for (const dataset of CLUSTER_DATASETS) rows[dataset.name] = (await entry.query(sqlFor(dataset, v)!, dataset.params?.(rows) ?? [])).rows;
        const databases = (rows.databases as Array<{ datname: string; datallowconn: boolean }>).filter((d) => d.datallowconn).map((d) => d.datname);
        for (const database of databases) {
          const client = database === 'postgres' ? entry : new pg.Client(cluster.connectionConfig(database));
          if (client !== entry) await client.connect();
          try {
            for (const dataset of DATABASE_DATASETS) await client.query(sqlFor(dataset, v)!, dataset.params?.(rows) ?? []);
          } finally {
            if (client !== entry) await client.end();
          }
        }
      } finally {
        await entry.end();
      }
    },
  };
}

/** `mvcc-doctor check --json --sample 0` in this process: connecting, collecting, every check, rendering. */
export function checkInProcess(cluster: Cluster): Contender {
  return {
    name: 'check (in-process)',
    async run() {
      let out = '';
      let err = '';
      const io = { out: (text: string) => void (out += text), err: (text: string) => void (err += text), env: {}, color: false, interactive: false };
      const code = await runCli(['check', cluster.connectionString(), '--json', '--sample', '0'], io);
      assertComplete(code, out, err);
    },
  };
}

/** The built bin as a user runs it (node start-up included), JSON report, no XID sample. */
export function checkProcess(cluster: Cluster, bin: string): Contender {
  return {
    name: 'check (CLI process)',
    async run() {
      const { code, stdout, stderr } = await spawn(process.execPath, [bin, 'check', cluster.connectionString(), '--json', '--sample', '0']);
      assertComplete(code, stdout, stderr);
    },
  };
}

/** A run that skipped something (a statement timeout on the big database, say) would be fast for the wrong reason. */
function assertComplete(code: number, stdout: string, stderr: string): void {
  if (code === 3) throw new Error(`check failed: ${stderr}`);
  const report = JSON.parse(stdout) as Report;
  // The bench cluster does not load pg_stat_statements: the queries check says so, and that is all it may skip.
  const skipped = report.skipped.filter((s) => !(s.what === 'queries' && s.reason.startsWith('pg_stat_statements is not loaded')));
  if (!report.databases_examined.includes('bench') || skipped.length > 0) {
    throw new Error(`check did not examine everything: ${JSON.stringify({ examined: report.databases_examined, skipped: report.skipped })}`);
  }
}

/** The check_postgres actions that cover the same ground; txn_idle and txn_time have no default thresholds. */
export const CHECK_POSTGRES_ACTIONS: Record<string, string[]> = {
  txn_wraparound: [],
  txn_idle: ['--warning=1 minute'],
  txn_time: ['--warning=1 minute'],
  locks: [],
  last_autovacuum: [],
  bloat: [],
};

export const CHECK_POSTGRES = '/usr/bin/check_postgres';

export function checkPostgresAvailable(): boolean {
  return existsSync(CHECK_POSTGRES);
}

/**
 * One check_postgres action over the same databases `check` examines (check_postgres runs one psql per
 * database and action). Nagios exit codes 0–2 are results; 3 (UNKNOWN) or an ERROR line means it did not work,
 * except last_autovacuum's "no table was ever autovacuumed", which is its true answer here.
 */
export function checkPostgres(cluster: Cluster, action: string, databases: string[]): Contender {
  const args = [
    `--action=${action}`,
    `--host=${cluster.host}`,
    `--port=${cluster.port}`,
    `--dbuser=${cluster.user}`,
    ...databases.map((d) => `--dbname=${d}`),
    ...CHECK_POSTGRES_ACTIONS[action]!,
  ];
  return {
    name: `check_postgres ${action}`,
    async run() {
      const { code, stdout, stderr } = await spawn(CHECK_POSTGRES, args);
      // With autovacuum off (for steady timings) last_autovacuum finds no vacuumed table: UNKNOWN, after the same work.
      const nothingVacuumed = code === 3 && /No matching tables have ever been/.test(stdout);
      if ((code > 2 && !nothingVacuumed) || /ERROR/.test(stdout + stderr)) throw new Error(`check_postgres ${action} failed (${code}): ${(stdout + stderr).trim().slice(0, 300)}`);
    },
  };
}

function spawn(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
  });
}
