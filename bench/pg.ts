// npm run bench:pg [-- transactions]
// Short transactions on loopback (BEGIN; SELECT 1; UPDATE one row; COMMIT): raw node-postgres against
// @mvcc-doctor/pg, interleaved in one run on one connection (a fresh random order each round, so drift and noise
// hit every variant alike). Round trips are counted for real: the server sends one ReadyForQuery per Query (simple
// protocol) or Sync (extended protocol). Run twice: the lab's default (fsync off) and durable commits (fsync on).
// The library is measured as users run it: compiled (the script builds packages/pg first and imports its dist).
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Cluster } from 'mvcc-doctor/lab';
import { configure, withTransaction, type LibraryOptions, type TransactionOptions } from '@mvcc-doctor/pg';

const transactions = Number(process.argv.at(-1)) > 0 ? Number(process.argv.at(-1)) : 5_000;
const UPDATE = 'UPDATE counters SET n = n + 1 WHERE id = $1';

/** The library's settings per variant (undefined: raw node-postgres), and per-transaction options. */
const variants: Record<string, { settings?: LibraryOptions; options?: TransactionOptions }> = {
  'raw pg': {},
  library: { settings: { app: 'bench' } },
  'library, named origin': { settings: { app: 'bench' }, options: { origin: 'bench.counter' } },
  'library, tags off': { settings: { app: 'bench', comment: false, applicationName: false } },
  'library, all off': { settings: { app: 'bench', comment: false, applicationName: false, stackFrames: 0, starvation: 'off' } },
};

async function compare(label: string, settings: Record<string, string>, count: number): Promise<void> {
  const cluster = await Cluster.create({ label: 'bench-pg', autovacuum: false, settings });
  const pool = new pg.Pool({ ...cluster.connectionConfig(), max: 1 });
  let roundTrips = 0;
  pool.on('connect', (client) => {
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => roundTrips++);
  });
  const raw = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1');
      await client.query(UPDATE, [1]);
      await client.query('COMMIT');
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw error;
    }
  };
  const library = (options?: TransactionOptions) =>
    withTransaction(
      pool,
      async (tx) => {
        await tx.query('SELECT 1');
        await tx.query(UPDATE, [1]);
      },
      options,
    );
  try {
    await cluster.sql('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters VALUES (1, 0)');
    const names = Object.keys(variants);
    const samples = new Map(names.map((name) => [name, [] as number[]]));
    const round = new Map<string, number>();
    // Per round, each variant minus raw pg: the median of these paired differences shrugs off drift and noise.
    const paired = new Map(names.map((name) => [name, [] as number[]]));
    const trips = new Map(names.map((name) => [name, 0]));
    const warmup = Math.min(500, count / 5);
    for (let i = 0; i < warmup + count; i++) {
      for (const name of [...names].sort(() => Math.random() - 0.5)) {
        const { settings, options } = variants[name] ?? {};
        if (settings) configure(settings);
        const before = roundTrips;
        const start = performance.now();
        await (settings ? library(options) : raw());
        const micros = (performance.now() - start) * 1000;
        if (i < warmup) continue;
        samples.get(name)?.push(micros);
        round.set(name, micros);
        trips.set(name, (trips.get(name) ?? 0) + roundTrips - before);
      }
      if (i >= warmup) for (const name of names) paired.get(name)?.push((round.get(name) ?? 0) - (round.get('raw pg') ?? 0));
    }
    const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN;
    const base = at(samples.get('raw pg') ?? [], 0.5);
    console.log(`\n${label}: PostgreSQL ${cluster.version}, 127.0.0.1, node ${process.version}, ${count} transactions per variant, interleaved`);
    console.log('variant                  median µs    p90 µs   vs raw   paired Δ µs   round trips/tx');
    for (const name of names) {
      const xs = samples.get(name) ?? [];
      const median = at(xs, 0.5);
      const added = `${median >= base ? '+' : ''}${((median / base - 1) * 100).toFixed(1)}%`;
      const delta = at(paired.get(name) ?? [], 0.5);
      console.log(
        `${name.padEnd(23)} ${median.toFixed(1).padStart(10)} ${at(xs, 0.9).toFixed(1).padStart(9)} ${added.padStart(8)} ` +
          `${delta.toFixed(1).padStart(12)} ${((trips.get(name) ?? 0) / count).toFixed(2).padStart(12)}`,
      );
    }
  } finally {
    await pool.end();
    await cluster.destroy();
  }
}

await compare('fsync off (lab default)', {}, transactions);
await compare('durable commits (fsync on, synchronous_commit on)', { fsync: 'on', synchronous_commit: 'on' }, Math.ceil(transactions / 5));
