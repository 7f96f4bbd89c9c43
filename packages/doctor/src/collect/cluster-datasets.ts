import { SEGMENTS_SQL } from '../clog/segments-sql.js';
import type { Dataset } from './dataset.js';
import { transactions } from './transactions-dataset.js';

/** Excludes our own sessions, so the doctor never reports itself. */
const NOT_US = `pid <> pg_backend_pid() AND application_name IS DISTINCT FROM 'mvcc-doctor'`;

/**
 * Server facts; `nextXid` is the snapshot's xmax: it needs no XID of its own, so it works in the stop zone.
 * mxid_age() reads the next MultiXact ID live: the age of one fixed datminmxid, read twice, gives the MultiXact rate.
 */
const serverSql = (nextXid: string) => `SELECT current_setting('server_version_num')::int AS version_num,
  current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery, current_user AS role,
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
  pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
  ${nextXid}::text AS next_xid, extract(epoch FROM clock_timestamp())::float8 AS at,
  extract(epoch FROM clock_timestamp() - pg_postmaster_start_time())::float8 AS uptime_seconds,
  d.datminmxid::text AS mxid_probe_min, mxid_age(d.datminmxid)::int8 AS mxid_probe_age
  FROM pg_database d WHERE d.datname = current_database()`;

export const server: Dataset = {
  name: 'server',
  scope: 'cluster',
  sql: {
    120000: serverSql('txid_snapshot_xmax(txid_current_snapshot())'),
    130000: serverSql('pg_snapshot_xmax(pg_current_snapshot())'),
  },
};

export const settings: Dataset = {
  name: 'settings',
  scope: 'cluster',
  sql: {
    120000: `SELECT name, setting, unit, source FROM pg_settings
      WHERE name LIKE 'autovacuum%' OR name LIKE 'vacuum%' OR name IN
        ('max_prepared_transactions', 'hot_standby_feedback', 'old_snapshot_threshold', 'track_counts',
         'idle_in_transaction_session_timeout', 'statement_timeout', 'deadlock_timeout', 'log_lock_waits',
         'max_connections', 'transaction_timeout', 'data_checksums', 'block_size', 'max_worker_processes')`,
  },
};

export const databases: Dataset = {
  name: 'databases',
  scope: 'cluster',
  sql: {
    120000: `SELECT d.datname, d.datallowconn, d.datconnlimit, age(d.datfrozenxid)::int8 AS xid_age,
      mxid_age(d.datminmxid)::int8 AS mxid_age, d.datfrozenxid::text AS datfrozenxid,
      s.deadlocks::int8, s.checksum_failures::int8, s.checksum_last_failure, s.xact_commit::int8, s.xact_rollback::int8,
      s.conflicts::int8, d.datname = current_database() AS is_current
      FROM pg_database d LEFT JOIN pg_stat_database s ON s.datid = d.oid ORDER BY age(d.datfrozenxid) DESC`,
  },
};

const ACTIVITY_COLUMNS = `pid, datname, usename, application_name, host(client_addr) AS client_addr, backend_type, state,
  backend_xid::text AS backend_xid, backend_xmin::text AS backend_xmin,
  age(backend_xid)::int8 AS xid_age, age(backend_xmin)::int8 AS xmin_age,
  extract(epoch FROM clock_timestamp() - xact_start)::float8 AS xact_seconds,
  extract(epoch FROM clock_timestamp() - query_start)::float8 AS query_seconds,
  extract(epoch FROM clock_timestamp() - state_change)::float8 AS state_seconds,
  wait_event_type, wait_event, left(query, 2000) AS query, pg_blocking_pids(pid) AS blocked_by`;

export const activity: Dataset = {
  name: 'activity',
  scope: 'cluster',
  needs: 'pg_read_all_stats',
  sql: { 120000: `SELECT ${ACTIVITY_COLUMNS} FROM pg_stat_activity WHERE ${NOT_US}` },
};

export const prepared: Dataset = {
  name: 'prepared',
  scope: 'cluster',
  // A prepared transaction's locks have no pid; they share the virtualtransaction of its transactionid lock.
  sql: {
    120000: `SELECT p.gid, p.database, p.owner, p.transaction::text AS xid, age(p.transaction)::int8 AS xid_age,
      extract(epoch FROM clock_timestamp() - p.prepared)::float8 AS seconds, p.prepared,
      coalesce((SELECT json_agg(json_build_object('locktype', l.locktype, 'mode', l.mode, 'relation',
                 -- regclass resolves OIDs in our database only: elsewhere the same OID may name another table.
                 CASE WHEN l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) THEN l.relation::regclass::text ELSE l.relation::text END,
                 'same_database', l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))
        FROM pg_locks l
        WHERE l.pid IS NULL AND l.locktype <> 'transactionid' AND l.virtualtransaction =
          (SELECT t.virtualtransaction FROM pg_locks t
            WHERE t.locktype = 'transactionid' AND t.transactionid = p.transaction AND t.pid IS NULL LIMIT 1)), '[]') AS locks
      FROM pg_prepared_xacts p ORDER BY age(p.transaction) DESC`,
  },
};

const SLOT_BASE = `slot_name, slot_type, plugin, database, temporary, active, active_pid,
  xmin::text AS xmin, catalog_xmin::text AS catalog_xmin, age(xmin)::int8 AS xmin_age, age(catalog_xmin)::int8 AS catalog_xmin_age,
  restart_lsn::text AS restart_lsn,
  CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_replay_lsn(), restart_lsn)
       ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END::int8 AS retained_bytes`;

export const slots: Dataset = {
  name: 'slots',
  scope: 'cluster',
  sql: {
    120000: `SELECT ${SLOT_BASE}, NULL::text AS wal_status, NULL::float8 AS inactive_seconds, NULL::text AS invalidation_reason FROM pg_replication_slots`,
    130000: `SELECT ${SLOT_BASE}, wal_status, NULL::float8 AS inactive_seconds, NULL::text AS invalidation_reason FROM pg_replication_slots`,
    170000: `SELECT ${SLOT_BASE}, wal_status, extract(epoch FROM clock_timestamp() - inactive_since)::float8 AS inactive_seconds,
      invalidation_reason FROM pg_replication_slots`,
  },
};

export const standbys: Dataset = {
  name: 'standbys',
  scope: 'cluster',
  needs: 'pg_read_all_stats',
  sql: {
    120000: `SELECT pid, application_name, host(client_addr) AS client_addr, state, sync_state,
      backend_xmin::text AS backend_xmin, age(backend_xmin)::int8 AS xmin_age,
      extract(epoch FROM replay_lag)::float8 AS replay_lag_seconds FROM pg_stat_replication`,
  },
};

export const vacuumProgress: Dataset = {
  name: 'vacuumProgress',
  scope: 'cluster',
  // A (auto)vacuum waiting for its table lock has not started yet and is absent from pg_stat_progress_vacuum:
  // it is added from pg_stat_activity (phase "waiting for lock"). regclass only resolves in our own database;
  // elsewhere the autovacuum query text names the table, else the OID is all we know.
  sql: {
    120000: `SELECT p.pid, p.datname,
      CASE WHEN p.datname = current_database() THEN p.relid::regclass::text
           ELSE coalesce(substring(a.query FROM '^autovacuum: VACUUM (?:ANALYZE )?(\\S+)'), p.relid::text) END AS relation,
      p.phase, p.heap_blks_total::int8,
      p.heap_blks_scanned::int8, p.heap_blks_vacuumed::int8, p.index_vacuum_count::int8, a.backend_type, left(a.query, 500) AS query,
      extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS seconds, a.wait_event_type, a.wait_event
      FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a ON a.pid = p.pid
      UNION ALL
      SELECT a.pid, a.datname,
      coalesce(substring(a.query FROM '^autovacuum: VACUUM (?:ANALYZE )?(\\S+)'),
        (SELECT CASE WHEN a.datname = current_database() THEN l.relation::regclass::text ELSE l.relation::text END
           FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted AND l.locktype = 'relation' LIMIT 1)) AS relation,
      'waiting for lock', 0::int8, 0::int8, 0::int8, 0::int8, a.backend_type, left(a.query, 500),
      extract(epoch FROM clock_timestamp() - a.xact_start)::float8, a.wait_event_type, a.wait_event
      FROM pg_stat_activity a
      WHERE a.wait_event_type = 'Lock' AND a.pid NOT IN (SELECT pid FROM pg_stat_progress_vacuum)
        AND (a.backend_type = 'autovacuum worker' OR a.query ~* '^\\s*(/\\*.*?\\*/\\s*)*VACUUM\\M')`,
  },
};

/**
 * MultiXact member space, as of the last checkpoint: the next member offset from pg_control, and the oldest
 * multi's offset read from its pg_multixact/offsets page (4 bytes, little-endian, 65,536 multis per segment).
 */
export const multixactMembers: Dataset = {
  name: 'multixactMembers',
  scope: 'cluster',
  needs: 'superuser',
  sql: {
    120000: `WITH c AS (SELECT next_multixact_id::text::int8 AS next_multi, next_multi_offset::text::int8 AS next_offset,
        oldest_multi_xid::text::int8 AS oldest_multi FROM pg_control_checkpoint())
      SELECT next_multi, next_offset, oldest_multi,
        (SELECT get_byte(b, 0) + get_byte(b, 1) * 256 + get_byte(b, 2) * 65536 + get_byte(b, 3)::int8 * 16777216
           FROM pg_read_binary_file(format('pg_multixact/offsets/%s', lpad(upper(to_hex(oldest_multi / 65536)), 4, '0')),
                                    (oldest_multi % 65536) * 4, 4, true) AS b) AS oldest_offset
      FROM c`,
  },
};

/**
 * Evidence of the XID rate over longer than a sample, both readable by any role and without an XID:
 * - "checkpoint": the next XID the last checkpoint recorded, and when (on a primary): the exact count since;
 * - "vacuum": a relation of this database vacuumed at least 10 s ago whose relfrozenxid is youngest for the
 *   time since. A VACUUM cannot set relfrozenxid past the next XID of its time, so its age is at least the
 *   XIDs consumed since: a ceiling on the rate.
 * 2^32 * epoch + xid: pg_control_checkpoint() prints the full next XID as "epoch:xid".
 */
const xidClocksSql = (nextXid: string) => `SELECT 'checkpoint' AS source, NULL::text AS relation,
    (${nextXid}::text::int8 - ((split_part(next_xid, ':', 1)::int8 << 32) + split_part(next_xid, ':', 2)::int8))::int8 AS xids,
    extract(epoch FROM clock_timestamp() - checkpoint_time)::float8 AS seconds
  FROM pg_control_checkpoint() WHERE NOT pg_is_in_recovery()
  UNION ALL
  (SELECT 'vacuum', c.oid::regclass::text, age(c.relfrozenxid)::int8, extract(epoch FROM clock_timestamp() - v.at)::float8
    FROM pg_class c CROSS JOIN LATERAL (SELECT greatest(pg_stat_get_last_vacuum_time(c.oid), pg_stat_get_last_autovacuum_time(c.oid)) AS at) v
    WHERE c.relkind IN ('r', 'm', 't') AND v.at < clock_timestamp() - interval '10 s'
    ORDER BY age(c.relfrozenxid)::float8 / extract(epoch FROM clock_timestamp() - v.at), c.oid LIMIT 1)`;

export const xidClocks: Dataset = {
  name: 'xidClocks',
  scope: 'cluster',
  sql: {
    120000: xidClocksSql('txid_snapshot_xmax(txid_current_snapshot())'),
    130000: xidClocksSql('pg_snapshot_xmax(pg_current_snapshot())'),
  },
};

/** The pg_xact and pg_multixact segment files and the IDs they must cover (see clog/segments-sql.ts). */
export const clogSegments: Dataset = {
  name: 'clogSegments',
  scope: 'cluster',
  needs: 'superuser',
  sql: { 120000: SEGMENTS_SQL },
};

export const CLUSTER_DATASETS: Dataset[] = [server, settings, databases, activity, prepared, slots, standbys, vacuumProgress, multixactMembers, xidClocks, clogSegments, transactions];
