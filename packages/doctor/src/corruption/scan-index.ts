import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import type { Amcheck } from './amcheck.js';
import { namedBlocks, readErrorOf, type ReadError } from './read-error.js';
import type { IndexRow } from './scan-sql.js';
import { newRelationScan, type RelationScan } from './scan-report.js';

/** Planner settings that leave an index scan as the only way to return the rows in the index's order (the session already has enable_seqscan off). */
const FORCE_INDEX = `SELECT set_config('enable_bitmapscan', 'off', false), set_config('enable_sort', 'off', false)`;
const UNFORCE = 'RESET enable_bitmapscan; RESET enable_sort';

/**
 * Check one B-tree index of a table: with amcheck's bt_index_check where this role may run it (every page,
 * AccessShareLock, works on a standby), else with one read of the whole index in key order — an index-only scan
 * visits every leaf page, which needs only SELECT on the table. Other index types are left out with a note.
 */
export async function scanIndex(session: Session, index: IndexRow, table: RelationScan, amcheck: Amcheck): Promise<RelationScan> {
  const started = Date.now();
  const scan = newRelationScan({
    database: table.database,
    relation: `${quoteIdent(index.schema)}.${quoteIdent(index.name)}`,
    schema: index.schema,
    name: index.name,
    oid: index.oid,
    kind: 'index',
    table: table.relation,
    path: index.path,
    pages: index.pages,
  });
  try {
    if (amcheck.btree && amcheck.schema) {
      scan.method = 'amcheck';
      scan.probes = 1;
      await run(session, `SELECT ${amcheck.schema}.bt_index_check($1::oid::regclass)`, [index.oid]).then((error) => error && judge(scan, error, table));
    } else {
      scan.method = 'index-scan';
      await readInKeyOrder(session, index, scan, table);
    }
  } finally {
    scan.duration_ms = Date.now() - started;
  }
  return scan;
}

async function readInKeyOrder(session: Session, index: IndexRow, scan: RelationScan, table: RelationScan): Promise<void> {
  const keys = index.key_columns.map((k) => `(${k})`);
  const order = keys.map((k, i) => `${k}${index.descending[i] ? ' DESC' : ''}${index.nulls_first[i] ? ' NULLS FIRST' : ' NULLS LAST'}`);
  const sql =
    `SELECT count(*)::int8 AS rows FROM (SELECT ${keys.join(', ')} FROM ONLY ${table.relation} AS r` +
    `${index.predicate ? ` WHERE ${index.predicate}` : ''} ORDER BY ${order.join(', ')} OFFSET 0) AS s`;
  await session.query(FORCE_INDEX);
  try {
    const plan = (await session.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).map((r) => r['QUERY PLAN']).join('\n');
    const using = new RegExp(`Index (Only )?Scan( Backward)? using (${escape(index.name)}|${escape(quoteIdent(index.name))}) on`);
    if (!using.test(plan)) {
      scan.status = 'unverified';
      scan.complete = false;
      scan.notes.push('the planner would not read it from end to end (install amcheck and allow bt_index_check to check it)');
      return;
    }
    scan.probes = 1;
    const error = await run(session, sql, []);
    if (error) judge(scan, error, table);
  } finally {
    await session.query(UNFORCE);
  }
}

/** Run one check; the server's error comes back as a value, anything that ends the scan is thrown. */
async function run(session: Session, sql: string, params: unknown[]): Promise<ReadError | undefined> {
  try {
    await session.query(sql, params);
    return undefined;
  } catch (error) {
    if (error instanceof DoctorError && (error.code === 'unreachable' || error.code === 'unavailable')) throw error;
    return readErrorOf(error);
  }
}

/** An error names a page of the index (corrupt), a page of its table (the index could not be read past it), or neither. */
function judge(scan: RelationScan, error: ReadError, table: RelationScan): void {
  const own = scan.path ? namedBlocks(error, scan.path) : undefined;
  // amcheck's own reports: 'index "x" contains corrupted page at block 3', '… unexpected zero page at block 3'.
  const amcheckBlock = /^index ".+" contains .* (?:at )?block (\d+)/.exec(error.message)?.[1];
  if (own || amcheckBlock !== undefined || error.sqlstate === 'XX002') {
    scan.status = 'corrupt';
    const block = own?.first ?? (amcheckBlock !== undefined ? Number(amcheckBlock) : undefined);
    if (block !== undefined) scan.blocks.push({ block, lost: 'page', error });
    else scan.notes.push(`corrupt: ${error.message}${error.sqlstate ? ` (SQLSTATE ${error.sqlstate})` : ''}`);
    return;
  }
  const inTable = table.path ? namedBlocks(error, table.path) : undefined;
  scan.status = 'unverified';
  scan.complete = false;
  if (inTable) scan.notes.push(`reading it needed block ${inTable.first} of its table, which cannot be read: ${error.message}`);
  else if (error.sqlstate === '57014') scan.notes.push(`not read within the statement timeout: ${error.message}`);
  else scan.notes.push(`reading it failed: ${error.message}${error.sqlstate ? ` (SQLSTATE ${error.sqlstate})` : ''}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
