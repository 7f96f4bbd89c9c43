import type { Dataset } from './dataset.js';
import { measureBloatExactly } from './bloat-exact.js';
import type { StoredColumn } from '../mvcc/bloat-estimate.js';

/** A table or B-tree index of at least 1 MB, with what the bloat estimate needs (see mvcc/bloat-estimate.ts). */
export interface BloatRow {
  kind: 'table' | 'index';
  oid: number;
  schema: string;
  name: string;
  /** The table an index belongs to; the table itself for a table. */
  table: string;
  /** Bytes of the main fork now (pg_relation_size). */
  bytes: number;
  block_size: number;
  reloptions: string[] | null;
  /** Tables: live rows per the statistics (n_live_tup; reltuples when the counters are empty). Indexes: entries expected. */
  tuples: number;
  /** Tables: n_dead_tup. */
  dead_tuples: number | null;
  /** Indexes: primary key, unique, partial. */
  primary: boolean | null;
  unique: boolean | null;
  partial: boolean | null;
  /** [attlen, attalign, avg_width, null_frac] per stored column, in order (an index: its key and INCLUDE columns). */
  columns: [number, string, number | null, number | null][];
  /** Schema of the pgstattuple extension in this database, when installed. */
  pgstattuple_schema: string | null;
  /** Filled by the exact measurement (pgstattuple_approx / pgstatindex) for the largest candidates. */
  exact?: ExactBloat;
}

export interface ExactBloat {
  source: 'pgstattuple_approx' | 'pgstatindex';
  /** Free space plus dead tuples (tables), or leaf space below the fillfactor plus empty and deleted pages (indexes). */
  wasted_bytes?: number;
  /** Tables: the parts. */
  dead_tuple_bytes?: number;
  free_bytes?: number;
  /** Tables: the share of pages pgstattuple_approx read (the rest are all-visible, counted from the FSM). */
  scanned_percent?: number;
  /** Indexes: pgstatindex's avg_leaf_density. */
  avg_leaf_density?: number;
  /** Why it could not be measured (the estimate stands). */
  error?: string;
}

export function storedColumns(row: BloatRow): StoredColumn[] {
  return row.columns.map(([len, align, width, nullFrac]) => ({ len, align, width, nullFrac }));
}

/**
 * Relations worth estimating: a relation of under 1 MB cannot waste much, and the estimate's error is a few pages.
 * One pass over pg_class picks them by relpages (as of the last VACUUM or ANALYZE, which autovacuum keeps current;
 * a mass UPDATE since then only makes a table larger), and only those get a pg_relation_size() (a stat of every
 * segment) and their statistics: at 20,000 tables 25 ms instead of 350 ms for a look at every table (measured).
 * Widths come from pg_stats, so a role sees them only for tables it may read; a column without statistics leaves
 * its table unestimated (and measured exactly when possible).
 */
const LIVE = (oid: string, reltuples: string) =>
  `CASE WHEN pg_stat_get_live_tuples(${oid}) + pg_stat_get_dead_tuples(${oid}) > 0 THEN pg_stat_get_live_tuples(${oid}) ELSE greatest(${reltuples}, 0) END::float8`;

const BLOAT_SQL = `
  WITH candidates AS MATERIALIZED (
    SELECT c.oid, c.relkind, c.relam, c.relnamespace, c.relname, c.reloptions, c.reltuples
    FROM pg_class c WHERE c.relpages >= 128 AND c.relkind IN ('r', 'm', 'i') AND c.relpersistence <> 't'
  ),
  tables AS (
    SELECT t.*, ${LIVE('t.oid', 't.reltuples')} AS tuples, pg_stat_get_dead_tuples(t.oid) AS dead, pg_relation_size(t.oid) AS bytes
    FROM candidates t WHERE t.relkind IN ('r', 'm')
  ),
  indexes AS (
    SELECT x.oid, x.relnamespace, x.relname, x.reloptions, i.indrelid, i.indisprimary, i.indisunique,
      i.indpred IS NOT NULL AS partial, i.indnatts, i.indkey,
      -- A full index has an entry per live row of its table; a partial one, what it last counted.
      CASE WHEN i.indpred IS NULL THEN ${LIVE('i.indrelid', 'tc.reltuples')} ELSE greatest(x.reltuples, 0)::float8 END AS tuples,
      pg_relation_size(x.oid) AS bytes
    FROM candidates x
    JOIN pg_index i ON i.indexrelid = x.oid AND i.indisvalid
    JOIN pg_class tc ON tc.oid = i.indrelid
    JOIN pg_am am ON am.oid = x.relam AND am.amname = 'btree'
    WHERE x.relkind = 'i'
  ),
  ext AS (SELECT e.extnamespace::regnamespace::text AS schema FROM pg_extension e WHERE e.extname = 'pgstattuple')
  SELECT 'table' AS kind, t.oid::int8 AS oid, n.nspname AS schema, t.relname AS name, t.relname AS table,
    t.bytes::int8 AS bytes, current_setting('block_size')::int AS block_size, t.reloptions, t.tuples,
    t.dead::int8 AS dead_tuples, NULL::bool AS primary, NULL::bool AS unique, NULL::bool AS partial,
    (SELECT coalesce(json_agg(json_build_array(a.attlen, a.attalign, s.avg_width, s.null_frac) ORDER BY a.attnum), '[]')
       FROM pg_attribute a
       LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname AND NOT s.inherited
       WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
    (SELECT schema FROM ext) AS pgstattuple_schema
  FROM tables t JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE t.bytes >= 1048576
  UNION ALL
  SELECT 'index', x.oid::int8, n.nspname, x.relname, tc.relname, x.bytes::int8, current_setting('block_size')::int, x.reloptions,
    x.tuples, NULL, x.indisprimary, x.indisunique, x.partial,
    -- The index's own attributes carry the stored type; a key on a column takes its statistics from the table's
    -- column, an expression from the index's own pg_stats row (ANALYZE keeps one for expression indexes).
    (SELECT coalesce(json_agg(json_build_array(ia.attlen, ia.attalign, coalesce(ts.avg_width, xs.avg_width),
              coalesce(ts.null_frac, xs.null_frac)) ORDER BY ia.attnum), '[]')
       FROM pg_attribute ia
       LEFT JOIN pg_attribute ta ON ta.attrelid = x.indrelid AND ta.attnum = x.indkey[ia.attnum - 1] AND x.indkey[ia.attnum - 1] <> 0
       LEFT JOIN pg_stats ts ON ts.schemaname = tn.nspname AND ts.tablename = tc.relname AND ts.attname = ta.attname AND NOT ts.inherited
       LEFT JOIN pg_stats xs ON x.indkey[ia.attnum - 1] = 0 AND xs.schemaname = n.nspname AND xs.tablename = x.relname AND xs.attname = ia.attname
       WHERE ia.attrelid = x.oid AND ia.attnum > 0 AND ia.attnum <= x.indnatts),
    (SELECT schema FROM ext)
  FROM indexes x
  JOIN pg_namespace n ON n.oid = x.relnamespace
  JOIN pg_class tc ON tc.oid = x.indrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  WHERE x.bytes >= 1048576`;

export const bloat: Dataset = {
  name: 'bloat',
  scope: 'database',
  sql: { 120000: BLOAT_SQL },
  costly: true,
  refine: measureBloatExactly,
};
