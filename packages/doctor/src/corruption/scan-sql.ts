// Every catalog query of the corruption scan. None reads user data and none needs more than the default
// privileges of a role that can log in. None calls pg_relation_size either: it locks the relation, and one table
// that an ALTER TABLE holds would stop the whole listing; each table's size is read on its own (HeapProber.measure).

export interface ServerFacts {
  version: string;
  version_num: number;
  in_recovery: boolean;
  block_size: number;
  data_checksums: string | null;
}

export const SERVER_SQL = `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
  pg_is_in_recovery() AS in_recovery, current_setting('block_size')::int AS block_size, current_setting('data_checksums', true) AS data_checksums`;

export interface DatabaseRow {
  datname: string;
  checksum_failures: number | null;
  checksum_last_failure: Date | null;
}

/** Databases that accept connections, those whose reads failed a checksum first (pg_stat_database, PostgreSQL 12+). */
export const DATABASES_SQL = `SELECT d.datname, s.checksum_failures::int8 AS checksum_failures, s.checksum_last_failure
  FROM pg_database d LEFT JOIN pg_stat_database s ON s.datid = d.oid
  WHERE d.datallowconn AND d.datconnlimit <> -2
  ORDER BY coalesce(s.checksum_failures, 0) DESC, s.checksum_last_failure DESC NULLS LAST, d.datname`;

export interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  relpersistence: string;
  populated: boolean;
  path: string | null;
  readable: boolean;
  xid_age: number | null;
}

const RELATION_COLUMNS = `c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
  c.relpersistence::text AS relpersistence, c.relispopulated AS populated, pg_relation_filepath(c.oid) AS path,
  has_table_privilege(c.oid, 'SELECT') AS readable, age(c.relfrozenxid)::int8 AS xid_age
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace`;

/**
 * Every user table and materialized view with storage, the oldest relfrozenxid first: a table that VACUUM could
 * not freeze because of a bad block is the oldest of its database, so the likely culprits come first.
 */
export const RELATIONS_SQL = `SELECT ${RELATION_COLUMNS}
  WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  ORDER BY age(c.relfrozenxid) DESC, c.oid`;

/**
 * One relation by name as a person types it (`orders`, `shop.orders`, `"Odd Name"`): parse_ident splits it the
 * way the server would. An unqualified name is looked up in every schema, since our sessions' search_path is
 * pg_catalog only; the caller rejects an ambiguous one.
 */
export const RELATION_BY_NAME_SQL = `WITH parts AS (SELECT parse_ident($1) AS p)
  SELECT ${RELATION_COLUMNS}, parts
  WHERE c.relkind IN ('r', 'm', 'p', 'f', 'v', 'i', 'I', 't', 'S')
    AND c.relname = p[array_length(p, 1)]
    AND (array_length(p, 1) = 1 AND n.nspname NOT IN ('pg_catalog', 'information_schema') OR array_length(p, 1) = 2 AND n.nspname = p[1])
  ORDER BY n.nspname`;

export interface IndexRow {
  oid: number;
  table_oid: number;
  schema: string;
  name: string;
  am: string;
  path: string | null;
  /** pg_class.relpages: the size at the last VACUUM or ANALYZE, for the report only. */
  pages: number;
  valid: boolean;
  key_columns: string[];
  descending: boolean[];
  nulls_first: boolean[];
  predicate: string | null;
}

/** The indexes of some tables, with what it takes to make the planner walk each one from end to end. */
export const INDEXES_SQL = `SELECT i.indexrelid::int8 AS oid, i.indrelid::int8 AS table_oid, n.nspname AS schema, c.relname AS name,
  am.amname AS am, pg_relation_filepath(c.oid) AS path,
  c.relpages::int8 AS pages, i.indisvalid AND i.indisready AS valid,
  ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, false) FROM generate_series(1, i.indnkeyatts) AS k) AS key_columns,
  ARRAY(SELECT (i.indoption[k - 1] & 1) <> 0 FROM generate_series(1, i.indnkeyatts) AS k) AS descending,
  ARRAY(SELECT (i.indoption[k - 1] & 2) <> 0 FROM generate_series(1, i.indnkeyatts) AS k) AS nulls_first,
  pg_get_expr(i.indpred, i.indrelid) AS predicate
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = c.relam
  WHERE i.indrelid = ANY ($1::oid[])
  ORDER BY i.indrelid, c.relname`;

export interface AmcheckRow {
  schema: string | null;
  version: string | null;
  heap: boolean;
  btree: boolean;
}

/**
 * Whether amcheck is installed in this database and which of its functions this role may run: they are revoked
 * from PUBLIC when the extension is created, so a SELECT-only role usually has neither. verify_heapam came with
 * amcheck 1.3 (PostgreSQL 14).
 */
export const AMCHECK_SQL = `SELECT n.nspname AS schema, e.extversion AS version,
  coalesce(has_function_privilege(to_regprocedure(format('%I.verify_heapam(regclass, boolean, boolean, text, bigint, bigint)', n.nspname)), 'EXECUTE'), false) AS heap,
  coalesce(has_function_privilege(to_regprocedure(format('%I.bt_index_check(regclass)', n.nspname)), 'EXECUTE'), false) AS btree
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'`;
