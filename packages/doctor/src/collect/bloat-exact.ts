import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import { estimateBloat, fillfactorOf } from '../mvcc/bloat-estimate.js';
import { storedColumns, type BloatRow, type ExactBloat } from './bloat-dataset.js';

/** Relations measured exactly per database: each is a scan (of the pages not all-visible, or of the whole index). */
const MEASURED_TABLES = 10;
const MEASURED_INDEXES = 10;

/**
 * With pgstattuple installed, the largest candidates are measured instead of estimated: pgstattuple_approx for a
 * table (it reads only the pages the visibility map does not show all-visible, and takes the free space of the others
 * from the free space map), pgstatindex for a B-tree (it reads the whole index). Candidates are the relations the
 * estimate finds most wasteful, and the largest ones it cannot estimate (no statistics). A measurement that fails
 * (no privilege: pg_stat_scan_tables; statement_timeout) leaves the estimate, with the reason.
 */
export async function measureBloatExactly(session: Session, raw: unknown[]): Promise<unknown[]> {
  const rows = raw as BloatRow[];
  const schema = rows[0]?.pgstattuple_schema;
  if (!schema) return rows;
  for (const kind of ['table', 'index'] as const) {
    const limit = kind === 'table' ? MEASURED_TABLES : MEASURED_INDEXES;
    const ranked = rows
      .filter((r) => r.kind === kind)
      .map((r) => ({ r, waste: estimateBloat({ kind, bytes: r.bytes, blockSize: r.block_size, tuples: r.tuples, fillfactor: fillfactorOf(r.reloptions, kind), columns: storedColumns(r) })?.wastedBytes }))
      // Unestimable ones rank by their size: they may hide anything.
      .sort((a, b) => (b.waste ?? b.r.bytes) - (a.waste ?? a.r.bytes))
      .filter((c) => c.waste === undefined || c.waste > 0)
      .slice(0, limit);
    for (const { r } of ranked) r.exact = kind === 'table' ? await measureTable(session, schema, r) : await measureIndex(session, schema, r);
  }
  return rows;
}

async function measureTable(session: Session, schema: string, row: BloatRow): Promise<ExactBloat> {
  try {
    const [m] = await session.query<{ dead: number; free: number; scanned: number }>(
      `SELECT dead_tuple_len::int8 AS dead, approx_free_space::int8 AS free, scanned_percent::float8 AS scanned FROM ${quoteIdent(schema)}.pgstattuple_approx($1::oid::regclass)`,
      [row.oid],
    );
    return { source: 'pgstattuple_approx', wasted_bytes: m!.dead + m!.free, dead_tuple_bytes: m!.dead, free_bytes: m!.free, scanned_percent: Number(m!.scanned.toFixed(1)) };
  } catch (error) {
    return { source: 'pgstattuple_approx', error: reason(error) };
  }
}

/**
 * pgstatindex reports the leaf density: the share of each leaf page in use. Below the fillfactor it is waste, and so
 * is every empty or deleted page.
 */
async function measureIndex(session: Session, schema: string, row: BloatRow): Promise<ExactBloat> {
  try {
    const [m] = await session.query<{ density: number; leaves: number; empty: number; deleted: number }>(
      `SELECT avg_leaf_density::float8 AS density, leaf_pages::int8 AS leaves, empty_pages::int8 AS empty, deleted_pages::int8 AS deleted
       FROM ${quoteIdent(schema)}.pgstatindex($1::oid::regclass)`,
      [row.oid],
    );
    const ff = fillfactorOf(row.reloptions, 'index');
    // An index of one leaf page reports NaN density.
    const density = Number.isFinite(m!.density) ? m!.density : ff;
    const unused = m!.leaves * Math.max(0, 1 - density / ff) + m!.empty + m!.deleted;
    return { source: 'pgstatindex', wasted_bytes: Math.round(unused * row.block_size), avg_leaf_density: density };
  } catch (error) {
    return { source: 'pgstatindex', error: reason(error) };
  }
}

function reason(error: unknown): string {
  if (error instanceof DoctorError && error.code === 'privilege') return `${error.message} (GRANT pg_stat_scan_tables TO <role>)`;
  if (error instanceof DoctorError && error.code !== 'unreachable') return error.message;
  throw error;
}
