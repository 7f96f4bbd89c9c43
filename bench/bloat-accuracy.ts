/**
 * `npm run bench:bloat` — how close the `bloat` check's estimate comes to the truth, against check_postgres's `bloat`
 * action (Debian's check-postgres), on tables and B-tree indexes bloated the ways production bloats them.
 * The truth is pgstattuple (exact, a full scan): free space + dead tuples for a table; for an index, the leaf space
 * below its fillfactor plus empty and deleted pages (pgstatindex). Each relation is also shown with the check's
 * exact mode (pgstattuple_approx / pgstatindex, used when the extension is installed).
 * Every case is measured twice: right after the change (statistics as stale as an unanalyzed table has them), and
 * after ANALYZE (which check_postgres needs: it reads relpages and reltuples).
 *
 * Options: --major N / BENCH_PG_MAJOR (default: newest), --rows 400000 / BENCH_ROWS. Starts and stops its own cluster.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Cluster } from '@mvcc-doctor/lab';
import bloatCheck from '../packages/doctor/src/checks/bloat.js';
import { resolveConnOptions } from '../packages/doctor/src/connect/conn-options.js';
import { diagnose } from '../packages/doctor/src/diagnose.js';
import { CHECK_POSTGRES, checkPostgresAvailable } from './contenders.js';
import { table } from './timing.js';

const { values } = parseArgs({
  options: {
    major: { type: 'string', default: process.env.BENCH_PG_MAJOR },
    rows: { type: 'string', default: process.env.BENCH_ROWS ?? '400000' },
  },
});
const rows = Number(values.rows);
if (!checkPostgresAvailable()) {
  console.error('check_postgres is missing: apt-get install -y check-postgres');
  process.exit(2);
}
process.once('SIGINT', () => process.exit(130));

/** Each case makes one table (and its indexes) in its own state; names are the case ids. */
const CASES: { id: string; what: string; sql: (t: string) => string[] }[] = [
  { id: 'fresh', what: 'loaded once, never changed', sql: () => [] },
  { id: 'update_all', what: 'every row updated, not vacuumed', sql: (t) => [`UPDATE ${t} SET amount = amount + 1`] },
  { id: 'update_vacuumed', what: 'every row updated, then VACUUM', sql: (t) => [`UPDATE ${t} SET amount = amount + 1`, `VACUUM ${t}`] },
  { id: 'delete_70', what: '70 % deleted, not vacuumed', sql: (t) => [`DELETE FROM ${t} WHERE id % 10 < 7`] },
  { id: 'delete_70_vacuumed', what: '70 % deleted, then VACUUM', sql: (t) => [`DELETE FROM ${t} WHERE id % 10 < 7`, `VACUUM ${t}`] },
  { id: 'random_order', what: 'loaded in random key order (index page splits)', sql: () => [] },
];

function createSql(t: string, random: boolean): string {
  // A realistic mix: 8-byte key, timestamp, short text, numeric, a nullable flag, a 30-char code.
  return `CREATE TABLE ${t} (id bigint PRIMARY KEY, created timestamptz NOT NULL, name text, amount numeric, flag bool, code text);
    CREATE INDEX ${t}_code ON ${t} (code);
    INSERT INTO ${t} SELECT g, now() - g * interval '1 second', 'customer ' || g, (g % 1000) / 10.0,
      CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END, md5(g::text)
    FROM generate_series(1, ${rows}) g ${random ? 'ORDER BY random()' : ''};
    ANALYZE ${t};`;
}

const cluster = await Cluster.create({ major: values.major ? Number(values.major) : undefined, label: 'bench-bloat', autovacuum: false });
try {
  await cluster.sql('CREATE EXTENSION pgstattuple');
  for (const c of CASES) {
    await cluster.sql(createSql(c.id, c.id === 'random_order'));
    // Counters flushed after each statement, as a server does within a second: a VACUUM that ran before the DELETE's
    // counters arrived would see them subtracted afterwards (n_live_tup then reads far too low until the next ANALYZE).
    for (const statement of c.sql(c.id)) {
      await cluster.sql(statement);
      if (cluster.major >= 15) await cluster.sql('SELECT pg_stat_force_next_flush()');
    }
  }
  if (cluster.major >= 15) await cluster.sql('SELECT pg_stat_force_next_flush()');
  const results: string[][] = [];
  for (const phase of ['stale', 'analyzed'] as const) {
    if (phase === 'analyzed') await cluster.sql('ANALYZE');
    const truth = await truths();
    const estimate = await ours(false);
    const exact = await ours(true);
    const cp = checkPostgresBloat();
    for (const [relation, real] of truth) {
      const row = [
        `${relation} (${phase})`,
        mb(real.size),
        `${mb(real.wasted)} (${pct(real.wasted, real.size)})`,
        deviation(estimate.get(relation), real),
        deviation(exact.get(relation), real),
        deviation(cp.get(relation), real),
      ];
      results.push(row);
    }
  }
  console.log(`PostgreSQL ${cluster.version}, ${rows.toLocaleString('en-US')} rows a table; wasted MB (and its error against the truth, in points of the relation's size)\n`);
  console.log(table(['relation', 'size MB', 'truth: wasted', 'check estimate', 'check exact', 'check_postgres'], results));
  console.log('\nThe truth counts index entries of dead rows as used until VACUUM removes them; the estimate counts them as waste already.');
  console.log('Cases: ' + CASES.map((c) => `${c.id}: ${c.what}`).join('; '));
} finally {
  await cluster.destroy();
}

interface Real {
  size: number;
  wasted: number;
}

/** pgstattuple (tables) and pgstatindex (B-trees), both full scans: what is really there. */
async function truths(): Promise<Map<string, Real>> {
  const result = new Map<string, Real>();
  for (const c of CASES) {
    const { rows: [t] } = await cluster.sql<{ size: number; wasted: number }>(`SELECT table_len::float8 AS size, (free_space + dead_tuple_len)::float8 AS wasted FROM pgstattuple('${c.id}')`);
    result.set(c.id, t!);
    for (const index of [`${c.id}_pkey`, `${c.id}_code`]) {
      const { rows: [i] } = await cluster.sql<{ size: number; wasted: number }>(
        `SELECT index_size::float8 AS size, ((leaf_pages * greatest(0, 1 - avg_leaf_density / 90)) + empty_pages + deleted_pages) * current_setting('block_size')::int AS wasted FROM pgstatindex('${index}')`,
      );
      result.set(index, i!);
    }
  }
  return result;
}

/** The bloat check with every threshold at 0: each relation of 1 MB or more is a finding, its evidence the numbers. */
async function ours(exact: boolean): Promise<Map<string, number>> {
  if (!exact) await cluster.sql('DROP EXTENSION pgstattuple');
  try {
    const report = await diagnose(resolveConnOptions({ conninfo: cluster.connectionString() }), {
      sampleMs: 0,
      checks: [bloatCheck],
      thresholds: { bloatWarningBytes: 0, bloatWarningPercent: 0, bloatCriticalBytes: Infinity, bloatCriticalPercent: 101 },
    });
    return new Map(report.findings.filter((f) => f.subject.database === 'postgres').map((f) => [String(f.evidence[0]!.relation).replace(/^public\./, ''), Number(f.evidence[0]!.wasted_bytes)]));
  } finally {
    if (!exact) await cluster.sql('CREATE EXTENSION pgstattuple');
  }
}

/** check_postgres --action=bloat: its perfdata has the wasted bytes of every relation it estimated. */
function checkPostgresBloat(): Map<string, number> {
  const args = ['--action=bloat', `--host=${cluster.host}`, `--port=${cluster.port}`, `--dbuser=${cluster.user}`, '--dbname=postgres', '--warning=0', '--critical=1000000000000', '--perflimit=1000'];
  let out: string;
  try {
    out = execFileSync(CHECK_POSTGRES, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' } });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? '');
  }
  const perf = out.split(' | ')[1] ?? '';
  return new Map([...perf.matchAll(/(\S+?)=(\d+)B/g)].map((m) => [m[1]!.replace(/^public\./, ''), Number(m[2])]));
}

/** check_postgres lists only relations it finds wasting something: one it does not list, it found without waste. */
function deviation(value: number | undefined, real: Real): string {
  if (value === undefined) return deviation(0, real);
  const points = (100 * (value - real.wasted)) / real.size;
  return `${mb(value)} (${points >= 0 ? '+' : ''}${points.toFixed(0)})`;
}

function mb(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

function pct(part: number, whole: number): string {
  return `${Math.round((100 * part) / Math.max(whole, 1))}%`;
}
