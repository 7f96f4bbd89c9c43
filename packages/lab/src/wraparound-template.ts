import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from './cluster.js';
import { LabError } from './lab-error.js';
import { labRoot } from './lab-root.js';
import { readControlData, setNextMultiXact, setNextXid, singleUser } from './reset-wal.js';

/** Which counter the aged tables differ in. */
export type WraparoundKind = 'xid' | 'multixact';

/** How the aged tables of a near-wraparound cluster are made. Sizes are small for tests, big for benchmarks. */
export interface AgedTablesOptions {
  /** "xid": ages in relfrozenxid (pg_resetwal -x between tables); "multixact": in relminmxid (pg_resetwal -m). */
  kind: WraparoundKind;
  /** The database of the aged tables; it ends up the oldest database of the cluster. Default "incident". */
  database?: string;
  /** How many tables, created oldest first as public.aged_01, aged_02, … Default 6. */
  tableCount?: number;
  /** Rows per table, about 170 bytes each (45 to a page). Default 2000 (about 360 KB). */
  rowsPerTable?: number;
  /** IDs (XIDs or MultiXactIds) used up between two tables' creation: their age difference. Default 200,000,000. */
  ageStep?: number;
  /**
   * Give every second table (aged_02, aged_04, …) empty pages at its end: its second half is deleted and
   * vacuumed without truncation, so a later VACUUM tries to truncate them. Default true for "xid", false for "multixact".
   */
  emptyTail?: boolean;
}

/** One aged table as built. */
export interface AgedTable {
  /** Schema-qualified name, e.g. "public.aged_01". */
  table: string;
  rows: number;
  /** Whether its last pages are empty (a VACUUM of it tries to truncate them). */
  emptyTail: boolean;
}

/** What `ageTables` made; stored as the comment of the database, so a copy of the cluster knows it. */
export interface AgedTables {
  kind: WraparoundKind;
  database: string;
  /** Oldest first. */
  tables: AgedTable[];
  ageStep: number;
}

/** A stopped data dir with aged tables, built once and copied by every test that needs it. */
export interface WraparoundTemplate extends AgedTables {
  /** The stopped cluster's data dir: pass it to `Cluster.copyOf`. */
  dataDir: string;
  /** PostgreSQL major version of the data dir. */
  major: number;
  /** How long building it took. */
  buildMs: number;
}

export interface WraparoundTemplateOptions extends AgedTablesOptions {
  /** PostgreSQL major version; it needs pg_resetwal, which only the system PostgreSQL 15 has here. Default 15. */
  major?: number;
  /** Lab root the template is kept in (under templates/). Default: the lab root of the run. */
  root?: string;
}

const META_MARK = 'mvcc-doctor aged tables ';
/** Settings that keep the build free of autovacuum; a scenario resets them when it enters its zone. */
const BUILD_SETTINGS = {
  autovacuum: 'off',
  // The highest values allowed: the emergency autovacuum (which ignores autovacuum=off) starts only past them.
  autovacuum_freeze_max_age: '2000000000',
  autovacuum_multixact_freeze_max_age: '2000000000',
} as const;
/** SQL for the schema-qualified name of pg_class c (joined to pg_namespace n), as AgedTable.table spells it. */
export const QUALIFIED = `quote_ident(n.nspname) || '.' || quote_ident(c.relname)`;
const BUILD_AGE_LIMIT = 1_900_000_000;
/** Bump when the template's content changes, so a cached template of an older build is not reused. */
const TEMPLATE_VERSION = 1;

/** Fill in defaults. */
export function resolveAgedTablesOptions(options: AgedTablesOptions): Required<AgedTablesOptions> {
  const resolved = {
    kind: options.kind,
    database: options.database ?? 'incident',
    tableCount: options.tableCount ?? 6,
    rowsPerTable: options.rowsPerTable ?? 2000,
    ageStep: options.ageStep ?? 200_000_000,
    emptyTail: options.emptyTail ?? options.kind === 'xid',
  };
  if ((resolved.tableCount - 1) * resolved.ageStep > BUILD_AGE_LIMIT) {
    throw new LabError('resetwal-failed', `(tableCount - 1) * ageStep must stay under ${BUILD_AGE_LIMIT}`);
  }
  return resolved;
}

/**
 * On a running cluster whose installation has pg_resetwal: create a database of tables whose ages differ by
 * `ageStep`, by creating one table, stopping, moving NextXID (or NextMultiXactId) on with pg_resetwal,
 * starting, creating the next. Then everything else (catalogs, the other databases) is frozen, so the
 * oldest table is the oldest thing in the cluster. Leaves autovacuum off with its freeze ages at the maximum
 * (see `holdInZone`, which undoes that).
 */
export async function ageTables(cluster: Cluster, options: AgedTablesOptions): Promise<AgedTables> {
  const o = resolveAgedTablesOptions(options);
  for (const [name, value] of Object.entries(BUILD_SETTINGS)) await cluster.sql(`ALTER SYSTEM SET ${name} = '${value}'`);
  await cluster.restart();
  await cluster.sql(`CREATE DATABASE ${quoteIdent(o.database)}`);
  const tables: AgedTable[] = [];
  for (let i = 0; i < o.tableCount; i++) {
    if (i > 0) {
      await cluster.stop();
      const control = await readControlData(cluster);
      if (o.kind === 'xid') await setNextXid(cluster, control.nextXid + o.ageStep);
      else await setNextMultiXact(cluster, control.nextMultiXact + o.ageStep);
      await cluster.start();
    }
    const table = `public.aged_${String(i + 1).padStart(2, '0')}`;
    const emptyTail = o.emptyTail && i % 2 === 1;
    await createAgedTable(cluster, o.database, table, o.rowsPerTable, emptyTail);
    if (o.kind === 'multixact') await shareLockTwice(cluster, o.database, table);
    tables.push({ table, rows: o.rowsPerTable, emptyTail });
  }
  await freezeAllBut(cluster, o.database);
  const meta: AgedTables = { kind: o.kind, database: o.database, tables, ageStep: o.ageStep };
  await cluster.sql(`COMMENT ON DATABASE ${quoteIdent(o.database)} IS ${quoteLiteral(META_MARK + JSON.stringify(meta))}`);
  await verifyAges(cluster, meta);
  return meta;
}

/** The aged tables a cluster (or a copy of a template) holds, read from its database comment; undefined if none. */
export async function readAgedTables(cluster: Cluster, database = 'incident'): Promise<AgedTables | undefined> {
  const { rows } = await cluster.sql<{ comment: string | null }>(
    `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
    [database],
  );
  const comment = rows[0]?.comment;
  return comment?.startsWith(META_MARK) ? (JSON.parse(comment.slice(META_MARK.length)) as AgedTables) : undefined;
}

/** Whether the cluster still runs with the build settings, i.e. no scenario has entered a zone on it yet. */
export async function isFreshlyAged(cluster: Cluster): Promise<boolean> {
  const { rows } = await cluster.sql<{ v: string }>(`SELECT current_setting('autovacuum_freeze_max_age') AS v`);
  return rows[0]?.v === BUILD_SETTINGS.autovacuum_freeze_max_age;
}

export interface HoldOptions {
  database: string;
  /** Global transaction identifier of the prepared transaction that holds the zone. */
  gid: string;
  /** Tables it locks in SHARE UPDATE EXCLUSIVE mode: (auto)vacuum of them waits until it is gone. */
  lock: string[];
  /** Move the counter: called on the stopped cluster before the prepared transaction is made. */
  before: (cluster: Cluster) => Promise<void>;
  /** Move the counter again: called on the stopped cluster after it is made. */
  after?: (cluster: Cluster) => Promise<void>;
  /** Server settings for the zone (ALTER SYSTEM), e.g. a short autovacuum_naptime. */
  settings?: Record<string, string>;
}

/**
 * Stop the cluster, move its counter (`before`), then in single-user mode — where no autovacuum can race
 * us and the stop limit only warns — prepare a transaction that locks the tables, and put the autovacuum
 * settings back to their defaults; move the counter again (`after`) and start. Autovacuum then wants to
 * freeze the tables and waits on the prepared transaction's locks, which holds the cluster in its zone.
 */
export async function holdInZone(cluster: Cluster, options: HoldOptions): Promise<void> {
  await cluster.stop();
  await options.before(cluster);
  await singleUser(cluster, options.database, [
    'BEGIN',
    ...(options.lock.length > 0 ? [`LOCK TABLE ${options.lock.join(', ')} IN SHARE UPDATE EXCLUSIVE MODE`] : []),
    'SELECT txid_current()',
    `PREPARE TRANSACTION ${quoteLiteral(options.gid)}`,
    ...Object.keys(BUILD_SETTINGS).map((name) => `ALTER SYSTEM RESET ${name}`),
    ...Object.entries(options.settings ?? {}).map(([name, value]) => `ALTER SYSTEM SET ${quoteIdent(name)} = ${quoteLiteral(value)}`),
  ]);
  await options.after?.(cluster);
  await cluster.start();
}

/** Build a template data dir in `dir` (dir/data), stopped, with the aged tables. */
export async function buildWraparoundTemplate(dir: string, options: WraparoundTemplateOptions): Promise<WraparoundTemplate> {
  const started = Date.now();
  const cluster = await Cluster.create({ major: options.major ?? 15, needs: ['pg_resetwal'], label: `template-${options.kind}`, root: options.root });
  try {
    const meta = await ageTables(cluster, options);
    await cluster.stop();
    mkdirSync(dir, { recursive: true });
    const dataDir = join(dir, 'data');
    renameSync(cluster.dataDir, dataDir);
    const template: WraparoundTemplate = { ...meta, dataDir, major: cluster.major, buildMs: Date.now() - started };
    writeFileSync(join(dir, 'template.json.tmp'), JSON.stringify(template, null, 2));
    renameSync(join(dir, 'template.json.tmp'), join(dir, 'template.json'));
    return template;
  } finally {
    await cluster.destroy();
  }
}

/**
 * The template for these options, built at most once per lab root: parallel test workers (separate
 * processes) take a lock dir; the others wait until the builder has written template.json. A test run
 * has its own lab root, so each run builds afresh; outside tests the template stays in the default lab
 * root as a cache (delete <lab root>/templates to rebuild).
 */
export async function wraparoundTemplate(options: WraparoundTemplateOptions): Promise<WraparoundTemplate> {
  const resolved = { ...resolveAgedTablesOptions(options), major: options.major ?? 15 };
  const key = createHash('sha256').update(JSON.stringify({ TEMPLATE_VERSION, ...resolved })).digest('hex').slice(0, 12);
  const base = join(labRoot(options.root), 'templates');
  mkdirSync(base, { recursive: true });
  const dir = join(base, `${options.kind}-${key}`);
  const manifest = join(dir, 'template.json');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as WraparoundTemplate;
    if (tryLock(lock)) {
      try {
        if (existsSync(manifest)) continue;
        rmSync(dir, { recursive: true, force: true }); // a half-built one from a crashed builder
        return await buildWraparoundTemplate(dir, { ...resolved, root: options.root });
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    if (Date.now() > deadline) throw new LabError('resetwal-failed', `timed out waiting for another process to build ${dir}`);
    await sleep(200);
  }
}

async function createAgedTable(cluster: Cluster, database: string, table: string, rows: number, emptyTail: boolean): Promise<void> {
  await cluster.sql(`CREATE TABLE ${table} (id bigint PRIMARY KEY, payload text)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1::bigint) g`, [rows], database);
  if (!emptyTail) return;
  await cluster.sql(`DELETE FROM ${table} WHERE id > $1`, [Math.floor(rows / 2)], database);
  // Empty the pages but keep them: the truncation is left for a later VACUUM to attempt.
  await cluster.sql(`VACUUM (TRUNCATE false) ${table}`, [], database);
}

/** Two transactions share-lock every row: each row's xmax becomes a MultiXactId. */
async function shareLockTwice(cluster: Cluster, database: string, table: string): Promise<void> {
  const [a, b] = [await cluster.connect(database, 'lab-multixact-a'), await cluster.connect(database, 'lab-multixact-b')];
  try {
    for (const session of [a, b]) {
      await session.query('BEGIN');
      await session.query(`SELECT id FROM ${table} FOR SHARE`);
    }
    await a.query('COMMIT');
    await b.query('COMMIT');
  } finally {
    await Promise.allSettled([a.end(), b.end()]);
  }
}

/** VACUUM (FREEZE) every catalog of `database` and every other database, so only its user tables stay old. */
async function freezeAllBut(cluster: Cluster, database: string): Promise<void> {
  const { rows: catalogs } = await cluster.sql<{ rel: string }>(
    `SELECT c.oid::regclass::text AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname IN ('pg_catalog', 'information_schema')`,
    [],
    database,
  );
  await cluster.sql(`VACUUM (FREEZE) ${catalogs.map((c) => c.rel).join(', ')}`, [], database);
  const { rows: others } = await cluster.sql<{ datname: string; datallowconn: boolean }>(
    'SELECT datname, datallowconn FROM pg_database WHERE datname <> $1',
    [database],
  );
  for (const { datname, datallowconn } of others) {
    // template0 refuses connections; open it just long enough to freeze it.
    if (!datallowconn) await cluster.sql(`ALTER DATABASE ${quoteIdent(datname)} ALLOW_CONNECTIONS true`);
    const session = await cluster.connect(datname, 'lab-freeze');
    try {
      await session.query('VACUUM (FREEZE)');
    } finally {
      await session.end();
    }
    if (!datallowconn) await cluster.sql(`ALTER DATABASE ${quoteIdent(datname)} ALLOW_CONNECTIONS false`);
  }
}

/** The server's own ages must show the ladder: each table `ageStep` younger than the one before. */
async function verifyAges(cluster: Cluster, meta: AgedTables): Promise<void> {
  const ageOf = meta.kind === 'xid' ? 'age(c.relfrozenxid)' : 'mxid_age(c.relminmxid)';
  const { rows } = await cluster.sql<{ rel: string; age: number }>(
    `SELECT ${QUALIFIED} AS rel, ${ageOf}::int AS age FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${QUALIFIED} = ANY ($1)`,
    [meta.tables.map((t) => t.table)],
    meta.database,
  );
  const ages = meta.tables.map((t) => rows.find((r) => r.rel === t.table)?.age ?? -1);
  const wrong = ages.slice(1).some((age, i) => Math.abs(ages[i]! - age - meta.ageStep) > 1_000_000);
  const { rows: oldest } = await cluster.sql<{ datname: string }>(
    `SELECT datname FROM pg_database ORDER BY ${meta.kind === 'xid' ? 'age(datfrozenxid)' : 'mxid_age(datminmxid)'} DESC LIMIT 1`,
  );
  if (wrong || oldest[0]?.datname !== meta.database) {
    throw new LabError('resetwal-failed', `aged tables came out wrong: ages ${ages.join(', ')}, oldest database ${oldest[0]?.datname}`);
  }
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A builder that died leaves its lock behind: take it over.
    const pid = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
    if (Number.isInteger(pid) && !alive(pid)) rmSync(lock, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
