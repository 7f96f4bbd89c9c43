/**
 * `npm run bench:corruption` — what does `mvcc-doctor corruption scan` cost to find k bad blocks in a table of n
 * rows, against
 *   (a) one full read of a healthy table of the same size (`SELECT count(*)`, and a read of every column, which is
 *       what a probe does, with the server's default parallel workers and in one process like a probe): what any
 *       whole-table check costs at least (a full read of the damaged table stops at its first bad block);
 *   (b) pg_amcheck (PostgreSQL 15's, Debian) on the same damaged table: verify_heapam stops at the first page it
 *       cannot read, so it finds one bad block per run.
 * `scan --pages-only` (count the rows, decode nothing) is set against `count(*)`. Each contender must find what it
 * finds every run (a scan that misses a block is a failure, not fast).
 *
 * Options (flags or environment): --major 15 / BENCH_PG_MAJOR, --rows 100000,1000000 / BENCH_CORRUPTION_ROWS,
 * --bad 1,4,16 / BENCH_CORRUPTION_BAD (bad blocks per table, spread evenly), --runs 3 / BENCH_RUNS.
 * Starts and stops its own lab cluster (data checksums on, autovacuum off).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Cluster, corruptedBlocks } from '@mvcc-doctor/lab';
import { resolveConnOptions } from '../packages/doctor/src/connect/conn-options.js';
import { scanCorruption } from '../packages/doctor/src/corruption/scan.js';
import type { Contender } from './contenders.js';
import { median, table, timeInterleaved } from './timing.js';

const PG_AMCHECK = '/usr/lib/postgresql/15/bin/pg_amcheck';
/** Rows per page of the lab's corrupted table (id int, 128 characters of text). */
const ROWS_PER_PAGE = 49;

const { values } = parseArgs({
  options: {
    major: { type: 'string', default: process.env.BENCH_PG_MAJOR ?? '15' },
    rows: { type: 'string', default: process.env.BENCH_CORRUPTION_ROWS ?? '100000,1000000' },
    bad: { type: 'string', default: process.env.BENCH_CORRUPTION_BAD ?? '1,4,16' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
  },
});
const major = Number(values.major);
const sizes = values.rows.split(',').map(Number);
const bads = values.bad.split(',').map(Number);
const runs = Number(values.runs);
if (![major, runs, ...sizes, ...bads].every((n) => Number.isInteger(n) && n > 0) || sizes.some((n) => n < ROWS_PER_PAGE * 2)) {
  console.error('usage: bench/corruption.ts [--major 15] [--rows 100000,1000000] [--bad 1,4,16] [--runs 3]');
  process.exit(2);
}
const amcheckBin = existsSync(PG_AMCHECK);
if (!amcheckBin) console.error(`${PG_AMCHECK} is missing (apt-get install -y postgresql-15): pg_amcheck is left out`);
process.once('SIGINT', () => process.exit(130));
const log = (text: string) => process.stderr.write(`${text}\n`);

const cluster = await Cluster.create({ major, checksums: true, autovacuum: false, label: 'bench-corruption' });
try {
  await cluster.sql('CREATE EXTENSION amcheck');
  log(`PostgreSQL ${cluster.version}, ${cpus().length} cores, ${runs} runs each (medians)`);
  const results: string[][] = [];
  for (const rows of sizes) {
    const pages = Math.ceil(rows / ROWS_PER_PAGE);
    log(`\n${rows.toLocaleString('en-US')} rows (${pages.toLocaleString('en-US')} blocks): building a healthy twin …`);
    const twin = `public.twin_${rows}`;
    await cluster.sql(`CREATE TABLE ${twin} (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)`);
    await cluster.sql(`INSERT INTO ${twin} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1) g`, [rows]);
    await cluster.sql(`VACUUM (FREEZE, ANALYZE) ${twin}`);
    await cluster.sql(`VACUUM ${twin}`);
    for (const k of bads) {
      const blocks = Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * pages) / k));
      log(`  ${k} bad block(s) at ${blocks.join(', ')} …`);
      const fault = await corruptedBlocks(cluster, { rows, blocks, index: false });
      // The scenario restarts the cluster on a new port.
      const conn = resolveConnOptions({ conninfo: cluster.connectionString() });
      let probes = 0;
      let amcheckFound = 0;
      // The table's part of each scan (its probes, without the session, the catalogs and the index read).
      const heapMs: number[] = [];
      const heapPagesOnlyMs: number[] = [];
      const contenders: Contender[] = [
        {
          name: 'scan (SELECT only)',
          async run() {
            const scan = await scanCorruption(conn, { table: fault.table, amcheck: false });
            const heap = scan.relations.find((r) => r.kind === 'table')!;
            if (heap.blocks.map((b) => b.block).join() !== fault.blocks.join()) throw new Error(`scan found ${heap.blocks.map((b) => b.block).join()}, not ${fault.blocks.join()}`);
            probes = heap.probes;
            heapMs.push(heap.duration_ms);
          },
        },
        {
          name: 'scan --pages-only',
          async run() {
            const scan = await scanCorruption(conn, { table: fault.table, amcheck: false, pagesOnly: true });
            const heap = scan.relations.find((r) => r.kind === 'table')!;
            if (heap.blocks.map((b) => b.block).join() !== fault.blocks.join()) throw new Error('scan --pages-only missed a block');
            heapPagesOnlyMs.push(heap.duration_ms);
          },
        },
        {
          name: 'scan + amcheck',
          async run() {
            const scan = await scanCorruption(conn, { table: fault.table });
            const heap = scan.relations.find((r) => r.kind === 'table')!;
            if (heap.blocks.length !== fault.blocks.length || scan.relations.some((r) => r.kind === 'index' && r.method !== 'amcheck')) throw new Error('scan + amcheck missed something');
          },
        },
        {
          name: 'full read, count(*), healthy twin',
          async run() {
            // Left alone, the planner counts the primary key's leaf pages (an index-only scan), not the table's.
            await freshSql(cluster, `SET enable_indexonlyscan = off; SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM ${twin}`);
          },
        },
        {
          name: 'full read, every column, healthy twin',
          async run() {
            await freshSql(cluster, `SELECT count(*), sum(octet_length(t::text)) FROM ${twin} t`);
          },
        },
        {
          // Like for like: a probe is one process (TID scans are not parallel before 18).
          name: 'full read, every column, one process',
          async run() {
            await freshSql(cluster, `SET max_parallel_workers_per_gather = 0; SELECT count(*), sum(octet_length(t::text)) FROM ${twin} t`);
          },
        },
        ...(amcheckBin
          ? [
              {
                name: 'pg_amcheck (15)',
                async run() {
                  const out = await pgAmcheck(cluster, fault.table);
                  amcheckFound = new Set([...out.matchAll(/invalid page in block (\d+)/g)].map((m) => m[1])).size;
                  if (amcheckFound === 0) throw new Error(`pg_amcheck found nothing: ${out.slice(0, 300)}`);
                },
              },
            ]
          : []),
      ];
      const timings = await timeInterleaved(contenders, runs);
      const med = (name: string) => median(timings.get(name) ?? [NaN]);
      const scanMs = med('scan (SELECT only)');
      const full = med('full read, every column, healthy twin');
      const single = med('full read, every column, one process');
      const count = med('full read, count(*), healthy twin');
      const amcheckMs = med('pg_amcheck (15)');
      const pagesOnly = med('scan --pages-only');
      // The warm-up run is the first of each; the timed runs follow.
      const heap = median(heapMs.slice(1));
      const heapPagesOnly = median(heapPagesOnlyMs.slice(1));
      results.push([
        rows.toLocaleString('en-US'),
        String(k),
        String(probes),
        `${scanMs.toFixed(0)} (${heap.toFixed(0)})`,
        `${pagesOnly.toFixed(0)} (${heapPagesOnly.toFixed(0)})`,
        med('scan + amcheck').toFixed(0),
        count.toFixed(0),
        full.toFixed(0),
        single.toFixed(0),
        amcheckBin ? `${amcheckMs.toFixed(0)} (${amcheckFound} found)` : '-',
        `${(scanMs / single).toFixed(2)}x`,
        `${(heap / single).toFixed(2)}x`,
        amcheckBin ? `${(scanMs / amcheckMs).toFixed(2)}x` : '-',
        `${(heapPagesOnly / count).toFixed(2)}x`,
      ]);
      await fault.release();
    }
    await cluster.sql(`DROP TABLE ${twin}`);
  }
  console.log(
    `\nPostgreSQL ${cluster.version}, ${cpus().length} cores, median of ${runs} runs, ms\n\n` +
      table(
        ['rows', 'bad', 'probes', 'scan (table)', 'pages-only (table)', 'scan+amcheck', 'count(*)', 'every column', 'every column, 1 proc', 'pg_amcheck', 'scan/1 proc', 'table/1 proc', 'scan/pg_amcheck', 'pages-only table/count(*)'],
        results,
      ),
  );
} finally {
  await cluster.destroy();
}

/**
 * One statement on a new connection, as `psql -c` would run it: the scan and pg_amcheck start a backend each run too,
 * and a new backend's first read of many buffers costs more than the same read later (here about 1 s for 20,000
 * blocks, then 0.2 s: the first touch of each page of shared memory), so a long-lived session would flatter the full read.
 */
async function freshSql(c: Cluster, sql: string): Promise<void> {
  const client = new pg.Client(c.connectionConfig('postgres'));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** pg_amcheck on one table and its indexes; it exits 2 when it finds corruption, which is the point here. */
function pgAmcheck(c: Cluster, relation: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PG_AMCHECK, ['-h', c.host, '-p', String(c.port), '-U', c.user, '-d', 'postgres', '-t', relation], { env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (error && code !== 2 && code !== 1) reject(new Error(`pg_amcheck failed (${String(code)}): ${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}
