import type { Dataset } from './dataset.js';
import { settingNumber, type SettingRow } from './rows.js';

/**
 * Tables and materialized views worth a look, with TOAST folded into its owner: the 20 oldest by XID age,
 * the 5 oldest by MultiXact age, any over autovacuum_freeze_max_age, any with dead tuples past the default
 * trigger, any with reloptions or temporary. Filtering in SQL keeps a 50,000-table database cheap.
 */
const TABLES_SQL = (extra: string) => `
  WITH t AS (
    SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence::text AS persistence,
      greatest(age(c.relfrozenxid), coalesce(age(tc.relfrozenxid), 0))::int8 AS xid_age,
      coalesce(age(tc.relfrozenxid), 0)::int8 AS toast_xid_age,
      greatest(mxid_age(c.relminmxid), coalesce(mxid_age(tc.relminmxid), 0))::int8 AS mxid_age,
      c.relpages::int8 AS pages, coalesce(tc.relpages, 0)::int8 AS toast_pages, c.reltuples::float8 AS reltuples,
      c.reloptions, tc.reloptions AS toast_reloptions,
      s.n_live_tup::int8 AS live_tuples, s.n_dead_tup::int8 AS dead_tuples, s.n_mod_since_analyze::int8 AS mod_since_analyze,
      s.last_vacuum, s.last_autovacuum, s.vacuum_count::int8, s.autovacuum_count::int8 ${extra}
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid
    LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
    WHERE c.relkind IN ('r', 'm')
  )
  SELECT * FROM (
    SELECT t.*, count(*) OVER ()::int8 AS total_tables, row_number() OVER (ORDER BY xid_age DESC) AS xid_rank, row_number() OVER (ORDER BY mxid_age DESC) AS mxid_rank
    FROM t
  ) ranked
  WHERE xid_rank <= 20 OR mxid_rank <= 5 OR xid_age > $1 OR mxid_age > $2
     OR dead_tuples > $3 + $4 * greatest(reltuples, 0) OR reloptions IS NOT NULL OR persistence = 't'
  ORDER BY xid_age DESC`;

export const tables: Dataset = {
  name: 'tables',
  scope: 'database',
  sql: {
    120000: TABLES_SQL(', NULL::int8 AS inserts_since_vacuum, NULL::int8 AS all_frozen_pages'),
    130000: TABLES_SQL(', s.n_ins_since_vacuum::int8 AS inserts_since_vacuum, NULL::int8 AS all_frozen_pages'),
    180000: TABLES_SQL(', s.n_ins_since_vacuum::int8 AS inserts_since_vacuum, c.relallfrozen::int8 AS all_frozen_pages'),
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

/** Lock waits in this database, the relation locks held by whoever blocks them, and prepared transactions' locks (pid null). */
export const locks: Dataset = {
  name: 'locks',
  scope: 'database',
  sql: {
    120000: `WITH here AS (SELECT oid FROM pg_database WHERE datname = current_database()),
      blockers AS (SELECT DISTINCT unnest(pg_blocking_pids(pid)) AS pid FROM pg_locks WHERE NOT granted AND pid IS NOT NULL)
      SELECT l.pid, l.locktype, l.mode, l.granted, l.relation::regclass::text AS relation, l.relation::int8 AS relid,
        l.transactionid::text AS transactionid
      FROM pg_locks l
      WHERE (NOT l.granted AND (l.database IS NULL OR l.database = (SELECT oid FROM here)))
         OR (l.granted AND l.locktype = 'relation' AND l.database = (SELECT oid FROM here)
             AND (l.pid IN (SELECT pid FROM blockers) OR l.pid IS NULL))`,
  },
};

export const DATABASE_DATASETS: Dataset[] = [tables, locks];
