import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import type { Dataset } from './dataset.js';

/** One statement of pg_stat_statements (times in ms). */
export interface StatementRow {
  /** The database and role it ran in and as. */
  database: string | null;
  user: string | null;
  /** The normalized text ("<insufficient privilege>" without pg_read_all_stats for other roles' statements). */
  query: string;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows: number;
  shared_blks_hit: number;
  shared_blks_read: number;
  temp_blks_read: number;
  temp_blks_written: number;
}

/**
 * What one database's pg_stat_statements shows — the same cluster-wide statistics from any database that has the
 * extension — or why it shows nothing. One per database read.
 */
export interface StatementsRead {
  /** Schema of the extension here; null when it is not created in this database. */
  schema: string | null;
  version: string | null;
  /** shared_preload_libraries: the extension records nothing unless the library is loaded there. */
  preload: string;
  /** The read failed (privilege, timeout): the reason. */
  error?: string;
  /** The busiest statements: the top 10 by total time, the top 10 by mean time, the top 5 by temp blocks written. */
  statements: StatementRow[];
  /** Over every statement recorded (ours left out): total execution ms, calls, entries. */
  total_ms: number;
  total_calls: number;
  entries: number;
}

/** Probe: is the extension here, and is its library loaded. The read itself depends on the extension's version. */
const PROBE = `SELECT (SELECT e.extnamespace::regnamespace::text FROM pg_extension e WHERE e.extname = 'pg_stat_statements') AS schema,
  (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'pg_stat_statements') AS version,
  current_setting('shared_preload_libraries') AS preload`;

/**
 * Column names follow the extension's version, not the server's (a database upgraded without ALTER EXTENSION keeps
 * the old ones): 1.8 (PostgreSQL 13) renamed total_time to total_exec_time; 1.9 added toplevel, and with
 * pg_stat_statements.track = all only top-level statements are counted here, so nothing counts twice.
 * Our own statements carry /* mvcc-doctor *\/ at their end, which pg_stat_statements keeps: they are left out.
 */
function readSql(schema: string, version: string): string {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const at = (m: number, n: number) => major > m || (major === m && minor >= n);
  const total = at(1, 8) ? 'total_exec_time' : 'total_time';
  const mean = at(1, 8) ? 'mean_exec_time' : 'mean_time';
  const toplevel = at(1, 9) ? 'AND s.toplevel' : '';
  return `WITH s AS MATERIALIZED (
      SELECT row_number() OVER () AS n, s.dbid, s.userid, s.query, s.calls, s.${total} AS total_ms, s.${mean} AS mean_ms, s.rows,
        s.shared_blks_hit, s.shared_blks_read, s.temp_blks_read, s.temp_blks_written
      FROM ${quoteIdent(schema)}.pg_stat_statements s
      WHERE s.query NOT LIKE '%/* mvcc-doctor */%' ${toplevel}
    ),
    picked AS (
      (SELECT n FROM s ORDER BY total_ms DESC LIMIT 10)
      UNION (SELECT n FROM s ORDER BY mean_ms DESC LIMIT 10)
      UNION (SELECT n FROM s WHERE temp_blks_written > 0 ORDER BY temp_blks_written DESC LIMIT 5)
    )
    SELECT d.datname AS database, r.rolname AS user, left(s.query, 2000) AS query, s.calls::int8, s.total_ms::float8, s.mean_ms::float8,
      s.rows::int8, s.shared_blks_hit::int8, s.shared_blks_read::int8, s.temp_blks_read::int8, s.temp_blks_written::int8,
      (SELECT coalesce(sum(total_ms), 0) FROM s)::float8 AS all_ms, (SELECT coalesce(sum(calls), 0) FROM s)::int8 AS all_calls,
      (SELECT count(*) FROM s)::int8 AS entries
    FROM s JOIN picked USING (n)
    LEFT JOIN pg_database d ON d.oid = s.dbid
    LEFT JOIN pg_roles r ON r.oid = s.userid
    ORDER BY s.total_ms DESC`;
}

async function readStatements(session: Session, rows: unknown[]): Promise<unknown[]> {
  const probe = rows[0] as { schema: string | null; version: string | null; preload: string };
  const read: StatementsRead = { ...probe, statements: [], total_ms: 0, total_calls: 0, entries: 0 };
  if (!probe.schema || !probe.version) return [read];
  try {
    const found = await session.query<StatementRow & { all_ms: number; all_calls: number; entries: number }>(readSql(probe.schema, probe.version));
    read.statements = found.map(({ all_ms: _ms, all_calls: _calls, entries: _entries, ...row }) => row);
    read.total_ms = found[0]?.all_ms ?? 0;
    read.total_calls = found[0]?.all_calls ?? 0;
    read.entries = found[0]?.entries ?? 0;
  } catch (error) {
    if (!(error instanceof DoctorError) || error.code === 'unreachable') throw error;
    // "pg_stat_statements must be loaded via shared_preload_libraries" when the extension exists but the library not.
    read.error = error.message;
  }
  return [read];
}

export const statements: Dataset = {
  name: 'statements',
  scope: 'database',
  sql: { 120000: PROBE },
  costly: true,
  refine: readStatements,
};
