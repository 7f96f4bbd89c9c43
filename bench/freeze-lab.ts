import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Cluster, labRoot, wraparoundTemplate, xidWraparound } from '@mvcc-doctor/lab';

export const VACUUMDB = '/usr/lib/postgresql/15/bin/vacuumdb';
export const STOP_AGE = 2 ** 31 - 1 - 3_000_000;
/** The CLI as a user runs it: node, the bin, everything it loads. */
export const CLI = ['packages/doctor/bin/mvcc-doctor.js'];

/**
 * Terminate the autovacuum workers of a fresh copy until none has shown up for 10 polls in a row: the copy
 * starts with autovacuum off, but the stop zone makes the launcher start emergency workers at once.
 */
export async function quietAutovacuum(cluster: Cluster): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 400 && quiet < 10; i++) {
    const { rows } = await cluster.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type IN ('autovacuum worker', 'autovacuum launcher')`);
    quiet = rows.length === 0 ? quiet + 1 : 0;
    if (rows.length > 0) await cluster.sql('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [rows.map((r) => r.pid)]);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Run a process to its end; resolves with whether it exited 0 and its first error line. */
export function runProcess(command: string, args: string[]): Promise<{ ok: boolean; note: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH, LC_ALL: 'C', HOME: process.env.HOME }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const error = stderr.split('\n').find((l) => /error/i.test(l)) ?? '';
      resolve({ ok: code === 0, note: code === 0 ? 'ok' : `exit ${code}${error ? `: ${error}` : ''}` });
    });
  });
}

/** When things happened, in seconds from the start of the poll, as a separate session saw them. */
export type Seen = Record<string, number | undefined>;

/**
 * Poll `sql` (one row of booleans) every `pollMs` on a session of its own while `work` runs, and note when each
 * column first turned true. The last poll runs after `work` ends, so the final state is seen.
 */
export async function watch(cluster: Cluster, sql: string, pollMs: number, work: () => Promise<void>): Promise<Seen> {
  const poller = new pg.Client({ ...cluster.connectionConfig('postgres'), application_name: 'bench-poller' });
  await poller.connect();
  const seen: Seen = {};
  const t0 = performance.now();
  let polling = true;
  const pollOnce = async () => {
    const { rows } = await poller.query<Record<string, boolean>>(sql);
    const at = (performance.now() - t0) / 1000;
    for (const [name, value] of Object.entries(rows[0] ?? {})) if (value && seen[name] === undefined) seen[name] = at;
  };
  const loop = (async () => {
    while (polling) {
      await pollOnce();
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  try {
    await work();
    seen.finished = (performance.now() - t0) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2 * pollMs));
  } finally {
    polling = false;
    await loop.catch(() => {});
    await pollOnce().catch(() => {});
    await poller.end();
  }
  return seen;
}

const ROWS_PER_MB = 6000; // about 170 bytes a row (the template's payload), 45-48 rows to a page

export interface BenchLayout {
  tables: number;
  mb: number;
  ageStep: number;
  /**
   * Also a database "testdb", a copy of the aged one made before the stop zone is entered: the same tables and
   * ages, nothing locked, so it can leave the zone while the aged one ("incident", the decoy) is held.
   */
  decoy: boolean;
}

/**
 * Table sizes in rows: every table gets a small base; the odd ones (no empty tail) grow by seeded random
 * shares of the rest, so sizes are mixed and unrelated to age, and vacuumdb's size order is not a tie.
 */
function extraRows(layout: BenchLayout): number[] {
  const baseMb = Math.max(1, Math.floor(layout.mb / layout.tables / 5));
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const weights = Array.from({ length: layout.tables }, (_, i) => (i % 2 === 0 ? 0.05 + random() : 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  const restRows = Math.max(0, layout.mb - baseMb * layout.tables) * ROWS_PER_MB;
  return weights.map((w) => Math.round((w / sum) * restRows));
}

/**
 * A stopped stop-zone cluster with its holder (an orphaned prepared transaction locking the aged tables),
 * built once per layout and kept under the lab root. Returns its data dir and the holder's gid.
 */
export async function benchTemplate(layout: BenchLayout, log: (text: string) => void): Promise<{ dataDir: string; gid: string }> {
  const key = `t${layout.tables}-mb${layout.mb}-s${layout.ageStep}${layout.decoy ? '-decoy' : ''}-v2`;
  const dir = join(labRoot(), 'templates', `bench-freeze-${key}`);
  const dataDir = join(dir, 'data');
  if (existsSync(join(dir, 'ready'))) return { dataDir, gid: readFileSync(join(dir, 'gid'), 'utf8') };
  rmSync(dir, { recursive: true, force: true });
  const baseRows = Math.max(1000, Math.floor(layout.mb / layout.tables / 5) * ROWS_PER_MB);
  log(`building the bench template ${key}: ${layout.tables} tables, ages ${layout.ageStep.toLocaleString('en-US')} XIDs apart (a restart per table), ~${layout.mb} MB …`);
  const started = performance.now();
  const aged = await wraparoundTemplate({ kind: 'xid', tableCount: layout.tables, rowsPerTable: baseRows, ageStep: layout.ageStep });
  const cluster = await Cluster.copyOf(aged.dataDir, { needs: ['pg_resetwal'], label: 'bench-freeze-template' });
  try {
    // Grow the tables without empty tails (appending to one would fill its tail), then ANALYZE: relpages as
    // production has them (autovacuum analyzes), so vacuumdb orders by real sizes. Neither touches relfrozenxid.
    const extra = extraRows(layout);
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
    // A file copy: the same relfrozenxid in every table, so both databases enter the stop zone together.
    if (layout.decoy) {
      // CREATE DATABASE … TEMPLATE wants the source to itself: end the admin session the growth used.
      await cluster.sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [aged.database]);
      await cluster.sql(`CREATE DATABASE testdb TEMPLATE ${aged.database}`);
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
    return { dataDir, gid: fault.gid };
  } finally {
    await cluster.destroy();
  }
}
