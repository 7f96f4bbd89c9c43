import { existsSync } from 'node:fs';
import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_LIMITS, openSession, type Session, type SessionLimits } from '../connect/safe-session.js';
import { VERSION } from '../version.js';
import { PROBE_SETTINGS } from './probe-settings.js';
import { qualifiedName, resolveTable } from './resolve-table.js';
import { COLUMNS_SQL, TARGET_NAME_SQL, type ColumnRow, type TargetNameRow } from './salvage-sql.js';
import { scanHeap } from './scan-heap.js';
import type { RelationScan } from './scan-report.js';
import { SERVER_SQL, type ServerFacts } from './scan-sql.js';
import { maxTuplesPerPage, TID_LIST_BLOCKS, tidCondition, type Tid, type TidMethod } from './tid.js';

export interface SalvageOptions {
  /** The database of the table; the connection's when absent. */
  dbname?: string;
  /** The damaged table (`schema.table`). */
  table: string;
  /** Copy into this new table (`name` goes in the table's schema). Needs a new XID: not in the stop zone. */
  into?: string;
  /** Or copy out to this COPY text file (no XID: works in the stop zone). It must not exist. */
  toFile?: string;
  /** Limits of the scan that finds the readable ranges. */
  limits?: SessionLimits;
  /** TID ranges (14+) or TID lists (before 14, or when asked). */
  method?: TidMethod;
}

export interface SalvagePlan {
  tool: 'mvcc-doctor';
  schema_version: 1;
  version: string;
  generated_at: string;
  database: string;
  server: { version: string; version_num: number; in_recovery: boolean };
  /** The damaged table, quoted: it is only ever read. */
  table: string;
  /** The new table (quoted), or null with `file`. */
  into: string | null;
  file: string | null;
  /** The columns copied (generated ones are left to be computed again). */
  columns: string[];
  /** The scan of the table: its bad blocks and readable ranges. */
  scan: RelationScan;
  rows_readable: number;
  blocks_lost: number;
  tuples_lost: number;
  /** What `run` executes, in order (into: in one transaction). */
  statements: string[];
  /** For a person, after checking the copy: swap the tables so the damaged one can be dropped and VACUUM FREEZE can finish. */
  swap: string[];
  notes: string[];
}

/**
 * Plan the copy of every row that reads out of a damaged table: scan it (read-only, as `corruption scan`), then
 * one INSERT … SELECT (or COPY … TO STDOUT) per readable ctid range. The damaged table is only read, then and
 * when the plan runs. A dry run: nothing is created.
 */
export async function planSalvage(conn: ConnOptions, options: SalvageOptions): Promise<SalvagePlan> {
  if ((options.into === undefined) === (options.toFile === undefined)) throw new DoctorError('usage', 'salvage needs --into NEW (a new table) or --to FILE (a COPY file), one of them');
  // Before the scan, not after it: the copy would only fail at the end.
  if (options.toFile !== undefined && existsSync(options.toFile)) throw new DoctorError('usage', `--to: ${options.toFile} already exists; salvage writes a new file`);
  const database = options.dbname ?? conn.database;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const session = await openSession(conn, database, { ...limits, settings: PROBE_SETTINGS });
  try {
    const [server] = (await session.query<ServerFacts>(SERVER_SQL)) as [ServerFacts];
    const table = await resolveTable(session, options.table);
    if (table.relkind !== 'r') throw new DoctorError('usage', `${qualifiedName(table)} is a materialized view: REFRESH it from its query instead of salvaging it`);
    const into = options.into !== undefined ? await targetName(session, options.into, table.schema) : null;
    const columns = await session.query<ColumnRow>(COLUMNS_SQL, [table.oid]);
    const method: TidMethod = options.method ?? (server.version_num >= 140000 ? 'tid-range' : 'tid-list');
    const maxOffset = maxTuplesPerPage(server.block_size);
    const relation = qualifiedName(table);
    const scan = await scanHeap(session, { database, relation, schema: table.schema, name: table.name, oid: table.oid, path: table.path }, { method, maxOffset, readsInOrder: server.version_num < 170000 });
    if (!scan.complete) {
      const why = scan.unread_blocks.length > 0 ? `block(s) ${scan.unread_blocks.join(', ')} could not be read within the statement timeout (raise --statement-timeout)` : scan.notes.join('; ');
      throw new DoctorError('timeout', `cannot plan the salvage of ${relation}: ${why}`);
    }
    const list = columns.map((c) => quoteIdent(c.name)).join(', ');
    const selects = pieces(scan, scan.method === 'tid-list' ? 'tid-list' : method, maxOffset).map((cond) => `SELECT ${list} FROM ONLY ${relation} AS r WHERE ${cond}`);
    const target = into ? `${quoteIdent(into.schema)}.${quoteIdent(into.name)}` : null;
    const statements = target
      ? [`CREATE TABLE ${target} (LIKE ${relation} INCLUDING ALL)`, ...selects.map((s) => `INSERT INTO ${target} (${list}) OVERRIDING SYSTEM VALUE ${s}`)]
      : selects.map((s) => `COPY (${s}) TO STDOUT`);
    return {
      tool: 'mvcc-doctor',
      schema_version: 1,
      version: VERSION,
      generated_at: new Date().toISOString(),
      database,
      server: { version: server.version, version_num: server.version_num, in_recovery: server.in_recovery },
      table: relation,
      into: target,
      file: options.toFile ?? null,
      columns: columns.map((c) => quoteIdent(c.name)),
      scan,
      rows_readable: scan.rows_readable,
      blocks_lost: scan.blocks.filter((b) => b.lost === 'page').length,
      tuples_lost: scan.blocks.reduce((n, b) => n + (b.tuples?.length ?? 0), 0),
      statements,
      swap: swapSteps(table, into, options.toFile, columns, list),
      notes: notes(server, target !== null),
    };
  } finally {
    await session.close();
  }
}

async function targetName(session: Session, into: string, defaultSchema: string): Promise<{ schema: string; name: string }> {
  let row: TargetNameRow | undefined;
  try {
    [row] = await session.query<TargetNameRow>(TARGET_NAME_SQL, [into, defaultSchema]);
  } catch (error) {
    if (error instanceof DoctorError && /not a valid identifier|improper qualified name/i.test(error.message)) throw new DoctorError('usage', `--into: "${into}" is not a table name`, { cause: error });
    throw error;
  }
  if (!row || row.parts > 2) throw new DoctorError('usage', `--into: "${into}" is not a table name (schema.table or table)`);
  if (!row.schema_exists) throw new DoctorError('usage', `--into: schema ${quoteIdent(row.schema)} does not exist in "${session.database}"`);
  if (row.taken) throw new DoctorError('usage', `--into: ${quoteIdent(row.schema)}.${quoteIdent(row.name)} already exists in "${session.database}"; salvage makes a new table`);
  return row;
}

/** The readable ranges as WHERE conditions; a TID list covers at most TID_LIST_BLOCKS blocks, so long ranges are cut. */
function pieces(scan: RelationScan, method: TidMethod, maxOffset: number): string[] {
  const tid = (text: string): Tid => {
    const [block, offset] = (/^\((\d+),(\d+)\)$/.exec(text) ?? []).slice(1).map(Number);
    return { block: block!, offset: offset! };
  };
  const out: string[] = [];
  for (const range of scan.readable) {
    let from = tid(range.from);
    const to = tid(range.to);
    while (method === 'tid-list' && to.block - from.block > TID_LIST_BLOCKS) {
      const cut = { block: from.block + TID_LIST_BLOCKS, offset: 0 };
      out.push(tidCondition(method, from, cut, maxOffset));
      from = cut;
    }
    out.push(tidCondition(method, from, to, maxOffset));
  }
  return out;
}

type Name = { schema: string; name: string };

function swapSteps(table: Name, target: Name | null, file: string | undefined, columns: ColumnRow[], list: string): string[] {
  const old = qualifiedName(table);
  const parked = { schema: table.schema, name: `${table.name}_corrupt` };
  const copy = target ?? { schema: table.schema, name: `${table.name}_salvaged` };
  const steps: string[] = [];
  if (file !== undefined) {
    steps.push(
      `CREATE TABLE ${qualifiedName(copy)} (LIKE ${old} INCLUDING ALL);`,
      `\\copy ${qualifiedName(copy)} (${list}) FROM ${quoteLiteral(file)}  -- psql, where the file is; COPY … FROM reads a file on the server`,
    );
  }
  steps.push('BEGIN;', `ALTER TABLE ${old} RENAME TO ${quoteIdent(parked.name)};`);
  if (copy.schema !== table.schema) steps.push(`ALTER TABLE ${qualifiedName(copy)} SET SCHEMA ${quoteIdent(table.schema)};`);
  steps.push(`ALTER TABLE ${qualifiedName({ schema: table.schema, name: copy.name })} RENAME TO ${quoteIdent(table.name)};`);
  for (const c of columns.filter((c) => c.sequence)) {
    // From here the copy has the old name. A serial column's default still draws from the old sequence, which the
    // damaged table owns: hand it over, or the DROP below takes it along. An identity column got a sequence of its
    // own, starting at 1: move it to where the old one was.
    if (c.identity) steps.push(`SELECT setval(pg_get_serial_sequence(${quoteLiteral(old)}, ${quoteLiteral(c.name)}), (SELECT last_value FROM ${c.sequence}));`);
    else steps.push(`ALTER SEQUENCE ${c.sequence} OWNED BY ${old}.${quoteIdent(c.name)};`);
  }
  steps.push(
    'COMMIT;',
    `-- LIKE copies columns, defaults, constraints, indexes and comments. Re-create by hand what it does not: GRANTs, foreign keys (to and from the table), triggers, policies, publication membership; views keep reading ${qualifiedName(parked)} until re-created.`,
    `DROP TABLE ${qualifiedName(parked)};  -- once the copy is checked: the bad blocks go with it, and VACUUM FREEZE can advance the database's datfrozenxid`,
  );
  return steps;
}

function notes(server: ServerFacts, intoTable: boolean): string[] {
  const out: string[] = [];
  if (server.in_recovery && intoTable) out.push('this is a standby: "run" cannot create the table here; use --to FILE, or run the salvage on the primary');
  if (intoTable) out.push('creating the new table needs a new transaction ID: in the stop zone use --to FILE (COPY needs none) and load the file once the database accepts writes');
  return out;
}
