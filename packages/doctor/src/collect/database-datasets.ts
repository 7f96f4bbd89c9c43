import { bloat } from './bloat-dataset.js';
import { statements } from './statements-dataset.js';
import type { Dataset } from './dataset.js';
import { settingNumber, type SettingRow } from './rows.js';

/**
 * Tables and materialized views worth a look, with TOAST folded into its owner: the 20 oldest by XID age,
 * the 5 oldest by MultiXact age, any over autovacuum_freeze_max_age, any with dead tuples past the default
 * trigger, any with reloptions or temporary. Filtering in SQL keeps a 50,000-table database cheap.
 *
 * Shaped for speed (bench/check.ts: 3-4x faster than one wide ranked scan at 50,000 tables):
 * - `ages` picks candidates from narrow rows (oid, two ages, one flag), so the top-N sorts stay in memory
 *   and the wide columns are built only for the few rows returned;
 * - TOAST ages come from one hash join against the TOAST rows of pg_class (the OFFSET 0 fence keeps the
 *   planner from choosing one index probe per table);
 * - statistics come from the pg_stat_get_*() functions that pg_stat_all_tables itself calls: the view also
 *   joins pg_index and groups every relation to sum index scans we do not read.
 * Ties are broken by oid, so the same database gives the same rows run after run.
 */
const TABLES_SQL = (extra: string) => `
  WITH ages AS MATERIALIZED (
    SELECT c.oid,
      greatest(age(c.relfrozenxid), coalesce(age(tc.relfrozenxid), 0))::int8 AS xid_age,
      greatest(mxid_age(c.relminmxid), coalesce(mxid_age(tc.relminmxid), 0))::int8 AS mxid_age,
      c.reloptions IS NOT NULL OR c.relpersistence = 't'
        OR pg_stat_get_dead_tuples(c.oid) > $3 + $4 * greatest(c.reltuples, 0) AS always
    FROM pg_class c
    LEFT JOIN (SELECT oid, relfrozenxid, relminmxid FROM pg_class WHERE relkind = 't' OFFSET 0) tc ON tc.oid = c.reltoastrelid
    WHERE c.relkind IN ('r', 'm')
  ),
  picked AS (
    (SELECT oid FROM ages ORDER BY xid_age DESC, oid LIMIT 20)
    UNION (SELECT oid FROM ages ORDER BY mxid_age DESC, oid LIMIT 5)
    UNION SELECT oid FROM ages WHERE always OR xid_age > $1 OR mxid_age > $2
  )
  SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence::text AS persistence, c.relisshared AS shared,
    greatest(age(c.relfrozenxid), coalesce(age(tc.relfrozenxid), 0))::int8 AS xid_age,
    coalesce(age(tc.relfrozenxid), 0)::int8 AS toast_xid_age,
    greatest(mxid_age(c.relminmxid), coalesce(mxid_age(tc.relminmxid), 0))::int8 AS mxid_age,
    c.relpages::int8 AS pages, coalesce(tc.relpages, 0)::int8 AS toast_pages, c.reltuples::float8 AS reltuples,
    c.reloptions, tc.reloptions AS toast_reloptions,
    pg_stat_get_live_tuples(c.oid)::int8 AS live_tuples, pg_stat_get_dead_tuples(c.oid)::int8 AS dead_tuples,
    pg_stat_get_mod_since_analyze(c.oid)::int8 AS mod_since_analyze,
    pg_stat_get_last_vacuum_time(c.oid) AS last_vacuum, pg_stat_get_last_autovacuum_time(c.oid) AS last_autovacuum,
    pg_stat_get_vacuum_count(c.oid)::int8 AS vacuum_count, pg_stat_get_autovacuum_count(c.oid)::int8 AS autovacuum_count ${extra},
    (SELECT count(*) FROM ages)::int8 AS total_tables
  FROM picked p
  JOIN pg_class c ON c.oid = p.oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid
  ORDER BY xid_age DESC, c.oid`;

export const tables: Dataset = {
  name: 'tables',
  scope: 'database',
  sql: {
    120000: TABLES_SQL(', NULL::int8 AS inserts_since_vacuum, NULL::int8 AS all_frozen_pages'),
    130000: TABLES_SQL(', pg_stat_get_ins_since_vacuum(c.oid)::int8 AS inserts_since_vacuum, NULL::int8 AS all_frozen_pages'),
    180000: TABLES_SQL(', pg_stat_get_ins_since_vacuum(c.oid)::int8 AS inserts_since_vacuum, c.relallfrozen::int8 AS all_frozen_pages'),
  },
  params: (cluster) => {
    const settings = cluster.settings as SettingRow[];
    return [
      settingNumber(settings, 'autovacuum_freeze_max_age', 200_000_000),
      settingNumber(settings, 'autovacuum_multixact_freeze_max_age', 400_000_000),
      settingNumber(settings, 'autovacuum_vacuum_threshold', 50),
      settingNumber(settings, 'autovacuum_vacuum_scale_factor', 0.2),
    ];
  },
};

/**
 * Lock waits in this database, the relation locks held by whoever blocks them, the relation locks held by sessions
 * idle in transaction (what their next DDL would wait for; catalogs and temporary tables left out), and prepared
 * transactions' locks (pid null).
 */
export const locks: Dataset = {
  name: 'locks',
  scope: 'database',
  sql: {
    120000: `WITH here AS (SELECT oid FROM pg_database WHERE datname = current_database()),
      blockers AS (SELECT DISTINCT unnest(pg_blocking_pids(pid)) AS pid FROM pg_locks WHERE NOT granted AND pid IS NOT NULL),
      idle AS (SELECT pid FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid())
      SELECT l.pid, l.locktype, l.mode, l.granted, l.relation::regclass::text AS relation, l.relation::int8 AS relid,
        l.transactionid::text AS transactionid, c.relkind::text AS relkind
      FROM pg_locks l
      LEFT JOIN pg_class c ON c.oid = l.relation
      LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (NOT l.granted AND (l.database IS NULL OR l.database = (SELECT oid FROM here)))
         OR (l.granted AND l.locktype = 'relation' AND l.database = (SELECT oid FROM here)
             AND (l.pid IN (SELECT pid FROM blockers) OR l.pid IS NULL
                  OR (l.pid IN (SELECT pid FROM idle) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                      AND c.relpersistence <> 't')))`,
  },
};

export const DATABASE_DATASETS: Dataset[] = [tables, locks, bloat, statements];

/** Datasets only `check` reads (see Dataset.costly); the checks that use them do not run without them. */
export const COSTLY_DATASETS: ReadonlySet<string> = new Set(DATABASE_DATASETS.filter((d) => d.costly).map((d) => d.name));
