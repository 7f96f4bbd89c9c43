// npm run bench:pg [-- transactions]
// Short transactions on loopback (BEGIN; SELECT 1; UPDATE one row; COMMIT): raw node-postgres against
// @mvcc-doctor/pg, interleaved in one run on one connection (a fresh random order each round, so drift and noise
// hit every variant alike). Round trips are counted for real: the server sends one ReadyForQuery per Query (simple
// protocol) or Sync (extended protocol). Run twice: the lab's default (fsync off) and durable commits (fsync on).
// The library is measured as users run it: compiled (the script builds packages/pg first and imports its dist), in
// plain node (type stripping runs this file: Node 22.18+, 23.6+), not under a transforming loader whose own
// Error.prepareStackTrace and evaluated frames would make stack capture dearer than in an app.
//
// "raw pg, library's SQL" sends, with raw node-postgres, exactly what the library's defaults send for this call site
// (the comment on every statement, BEGIN's included): what the tags cost whoever sends them, the server's share
// included. "library, application_name" adds SET LOCAL application_name in BEGIN's round trip (applicationName: true). The library's own overhead is what it adds beyond that row.
// Added time is the median of per-round paired differences against raw pg (wall clock, and CPU time of this process
// from process.cpuUsage, which leaves out the server's share).
// Not in those rows: once anything runs AsyncLocalStorage (the library's pool-deadlock tracking does, unless
// starvation: 'off'; so does withContext), Node 20 runs promise hooks for every promise of the process, raw pg's
// included. That cost is measured first, on raw pg alone, before the library has turned the hooks on.
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Cluster } from '@mvcc-doctor/lab';
import {
  configure,
  formatSqlComment,
  resetConfiguration,
  withTransaction,
  type LibraryOptions,
  type TransactionOptions,
} from '@mvcc-doctor/pg';

const transactions = Number(process.argv.at(-1)) > 0 ? Number(process.argv.at(-1)) : 5_000;
const UPDATE = 'UPDATE counters SET n = n + 1 WHERE id = $1';
const APP = 'bench';

type Variant = { kind: 'raw'; sql: (text: string) => string; begin: () => string } | { kind: 'library'; settings: LibraryOptions; options?: TransactionOptions };

/** The library's settings per variant, and per-transaction options; or raw node-postgres sending the given SQL. */
const variants: Record<string, Variant> = {
  'raw pg': { kind: 'raw', sql: (text) => text, begin: () => 'BEGIN' },
  "raw pg, library's SQL": { kind: 'raw', sql: (text) => `${librarySql.comment} ${text}`, begin: () => librarySql.begin },
  library: { kind: 'library', settings: { app: APP } },
  'library, named origin': { kind: 'library', settings: { app: APP }, options: { origin: 'bench.counter' } },
  'library, application_name': { kind: 'library', settings: { app: APP, applicationName: true } },
  'library, tags off': { kind: 'library', settings: { app: APP, comment: false, applicationName: false } },
  'library, all off': { kind: 'library', settings: { app: APP, comment: false, applicationName: false, stackFrames: 0, starvation: 'off' } },
};

/** What the library sends for the bench's call site, found from the origin it names (set before timing starts). */
const librarySql = { comment: '', begin: '' };

/** Raw transactions with async hooks on (a throwaway AsyncLocalStorage entered) and off, paired: the added median. */
async function hooksCost(transaction: () => Promise<void>, rounds: number): Promise<{ wall: number; cpu: number }> {
  const storage = new AsyncLocalStorage<object>();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const round = { on: { wall: 0, cpu: 0 }, off: { wall: 0, cpu: 0 } };
    for (const on of Math.random() < 0.5 ? [true, false] : [false, true]) {
      if (on) storage.enterWith({});
      else storage.disable();
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      await transaction();
      const used = process.cpuUsage(cpuBefore);
      round[on ? 'on' : 'off'] = { wall: (performance.now() - start) * 1000, cpu: used.user + used.system };
    }
    wall.push(round.on.wall - round.off.wall);
    cpu.push(round.on.cpu - round.off.cpu);
  }
  storage.disable();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  return { wall: median(wall.slice(rounds / 5)), cpu: median(cpu.slice(rounds / 5)) };
}

/** The load average (1 and 5 minutes): the machine's other work makes every transaction's code run colder. */
const load = () => loadavg().slice(0, 2).map((x) => x.toFixed(2)).join(' / ');

async function compare(label: string, settings: Record<string, string>, count: number, measureHooks: boolean, goalPercent: number): Promise<void> {
  const cluster = await Cluster.create({ label: 'bench-pg', autovacuum: false, settings });
  const pool = new pg.Pool({ ...cluster.connectionConfig(), max: 1 });
  // An idle client's connection error (e.g. while the pool ends) is reported, not allowed to crash the run.
  pool.on('error', (error) => console.error(`idle client error: ${error.message}`));
  let roundTrips = 0;
  pool.on('connect', (client) => {
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => roundTrips++);
  });
  const raw = async (variant: Extract<Variant, { kind: 'raw' }>) => {
    const client = await pool.connect();
    try {
      await client.query(variant.begin());
      await client.query(variant.sql('SELECT 1'));
      await client.query(variant.sql(UPDATE), [1]);
      await client.query(variant.sql('COMMIT'));
      client.release();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw error;
    }
  };
  let origin: string | undefined;
  const library = (options?: TransactionOptions) =>
    withTransaction(
      pool,
      async (tx) => {
        origin ??= tx.origin;
        await tx.query('SELECT 1');
        await tx.query(UPDATE, [1]);
      },
      options,
    );
  try {
    await cluster.sql('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters VALUES (1, 0)');
    const rawPg = variants['raw pg'] as Extract<Variant, { kind: 'raw' }>;
    const hooks = measureHooks ? await hooksCost(() => raw(rawPg), Math.min(3_000, count)) : undefined;
    configure({ app: APP });
    await library();
    if (origin === undefined) throw new Error('no origin seen');
    librarySql.comment = formatSqlComment({ app: APP, origin });
    librarySql.begin = `${librarySql.comment} BEGIN`;
    const names = Object.keys(variants);
    const samples = new Map(names.map((name) => [name, [] as number[]]));
    const round = new Map<string, { wall: number; cpu: number }>();
    // Per round, each variant minus raw pg: the median of these paired differences shrugs off drift and noise.
    const paired = new Map(names.map((name) => [name, { wall: [] as number[], cpu: [] as number[] }]));
    const trips = new Map(names.map((name) => [name, 0]));
    const warmup = Math.min(500, count / 5);
    const loadBefore = load();
    for (let i = 0; i < warmup + count; i++) {
      for (const name of [...names].sort(() => Math.random() - 0.5)) {
        const variant = variants[name];
        if (!variant) continue;
        // configure() merges: each variant starts from the defaults.
        if (variant.kind === 'library') {
          resetConfiguration();
          configure(variant.settings);
        }
        const before = roundTrips;
        const cpuBefore = process.cpuUsage();
        const start = performance.now();
        await (variant.kind === 'library' ? library(variant.options) : raw(variant));
        const micros = (performance.now() - start) * 1000;
        const cpu = process.cpuUsage(cpuBefore);
        if (i < warmup) continue;
        samples.get(name)?.push(micros);
        round.set(name, { wall: micros, cpu: cpu.user + cpu.system });
        trips.set(name, (trips.get(name) ?? 0) + roundTrips - before);
      }
      if (i < warmup) continue;
      const base = round.get('raw pg') ?? { wall: 0, cpu: 0 };
      for (const name of names) {
        const { wall = 0, cpu = 0 } = round.get(name) ?? {};
        paired.get(name)?.wall.push(wall - base.wall);
        paired.get(name)?.cpu.push(cpu - base.cpu);
      }
    }
    const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN;
    const base = at(samples.get('raw pg') ?? [], 0.5);
    const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
    console.log(`\n${label}: PostgreSQL ${cluster.version}, 127.0.0.1, node ${process.version}, ${count} transactions per variant, interleaved`);
    console.log(`load average (1 / 5 min) ${loadBefore} before, ${load()} after`);
    console.log('variant                     median µs    p90 µs   added µs (paired)   added %   CPU added µs   round trips/tx');
    for (const name of names) {
      const xs = samples.get(name) ?? [];
      const delta = at(paired.get(name)?.wall ?? [], 0.5);
      const cpu = at(paired.get(name)?.cpu ?? [], 0.5);
      console.log(
        `${name.padEnd(26)} ${at(xs, 0.5).toFixed(1).padStart(10)} ${at(xs, 0.9).toFixed(1).padStart(9)} ` +
          `${signed(delta, 1).padStart(19)} ${`${signed((delta / base) * 100, 1)}%`.padStart(9)} ${signed(cpu, 0).padStart(14)} ` +
          `${((trips.get(name) ?? 0) / count).toFixed(2).padStart(16)}`,
      );
    }
    const added = (name: string) => at(paired.get(name)?.wall ?? [], 0.5);
    const defaults = added('library');
    // The rows differ by one part each: what the defaults' added time is made of (medians, so roughly).
    const sql = added("raw pg, library's SQL");
    const named = added('library, named origin');
    console.log(
      `where the defaults' ${defaults.toFixed(1)} µs go: the tags' SQL ${sql.toFixed(1)} (raw pg sending it), ` +
        `the stack capture ${(defaults - named).toFixed(1)} (defaults - named origin), ` +
        `the library's own code ${(named - sql).toFixed(1)} (named origin - the tags' SQL)`,
    );
    const extraTrips = ((trips.get('library') ?? 0) - (trips.get('raw pg') ?? 0)) / count;
    // The median's 95 % confidence interval from order statistics: with durable commits one transaction's time
    // varies by hundreds of µs, so a run's median moves by several µs; the interval says how far.
    const sorted = [...(paired.get('library')?.wall ?? [])].sort((a, b) => a - b);
    const spread = 0.98 * Math.sqrt(sorted.length);
    const percent = (x: number | undefined) => (((x ?? NaN) / base) * 100).toFixed(1);
    const interval = `${percent(sorted[Math.floor(sorted.length / 2 - spread)])} to ${percent(sorted[Math.ceil(sorted.length / 2 + spread)])} %`;
    console.log(
      `library defaults: ${signed((defaults / base) * 100, 1)}% (95 % interval ${interval}; goal ≤ ${goalPercent} %: ${(defaults / base) * 100 <= goalPercent ? 'met' : 'not met'}), ` +
        `${signed(extraTrips, 2)} round trips per transaction against raw pg`,
    );
    if (hooks) {
      console.log(
        `async hooks on (AsyncLocalStorage, Node ${process.versions.node}), raw pg alone: ${signed(hooks.wall, 1)} µs ` +
          `(${signed((hooks.wall / base) * 100, 1)}%), CPU ${signed(hooks.cpu, 0)} µs per transaction; in every row above, raw pg's included`,
      );
    }
  } finally {
    await pool.end();
    await cluster.destroy();
  }
}

await compare('fsync off (lab default)', {}, transactions, true, 5);
// The library has turned the hooks on for good by now: they can be measured only once.
await compare('durable commits (fsync on, synchronous_commit on)', { fsync: 'on', synchronous_commit: 'on' }, Math.ceil(transactions / 2.5), false, 3);
