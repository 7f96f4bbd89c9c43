/** Row shapes of the datasets, as the checks read them (int8 arrives as number). */

export interface ServerRow {
  version_num: number;
  version: string;
  in_recovery: boolean;
  role: string;
  superuser: boolean;
  read_all_stats: boolean;
  next_xid: string;
  at: number;
  /** Seconds since the postmaster started: autovacuum cannot have acted before. */
  uptime_seconds?: number;
  /** This database's datminmxid and its age: read at both ends of the sample for the MultiXact rate. */
  mxid_probe_min?: string;
  mxid_probe_age?: number;
}

export interface SettingRow {
  name: string;
  setting: string;
  unit: string | null;
  source: string;
}

export interface DatabaseRow {
  datname: string;
  datallowconn: boolean;
  datconnlimit: number;
  xid_age: number;
  mxid_age: number;
  datfrozenxid: string;
  deadlocks: number | null;
  checksum_failures: number | null;
  checksum_last_failure: Date | null;
  xact_commit: number | null;
  xact_rollback: number | null;
  conflicts: number | null;
  is_current: boolean;
}

export interface ActivityRow {
  pid: number;
  datname: string | null;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  backend_type: string | null;
  state: string | null;
  backend_xid: string | null;
  backend_xmin: string | null;
  xid_age: number | null;
  xmin_age: number | null;
  xact_seconds: number | null;
  query_seconds: number | null;
  state_seconds: number | null;
  wait_event_type: string | null;
  wait_event: string | null;
  query: string | null;
  blocked_by: number[];
}

export interface PreparedLock {
  locktype: string;
  mode: string;
  relation: string | null;
  same_database: boolean | null;
}

export interface PreparedRow {
  gid: string;
  database: string;
  owner: string;
  xid: string;
  xid_age: number;
  seconds: number;
  prepared: Date;
  locks: PreparedLock[];
}

export interface SlotRow {
  slot_name: string;
  slot_type: 'physical' | 'logical';
  plugin: string | null;
  database: string | null;
  temporary: boolean;
  active: boolean;
  active_pid: number | null;
  xmin: string | null;
  catalog_xmin: string | null;
  xmin_age: number | null;
  catalog_xmin_age: number | null;
  restart_lsn: string | null;
  retained_bytes: number | null;
  wal_status: string | null;
  inactive_seconds: number | null;
  invalidation_reason: string | null;
}

export interface StandbyRow {
  pid: number;
  application_name: string;
  client_addr: string | null;
  state: string;
  sync_state: string;
  backend_xmin: string | null;
  xmin_age: number | null;
  replay_lag_seconds: number | null;
}

export interface VacuumProgressRow {
  pid: number;
  datname: string;
  relation: string;
  phase: string;
  heap_blks_total: number;
  heap_blks_scanned: number;
  heap_blks_vacuumed: number;
  index_vacuum_count: number;
  backend_type: string | null;
  query: string | null;
  seconds: number | null;
  wait_event_type: string | null;
  wait_event: string | null;
}

export interface MultixactMembersRow {
  next_multi: number;
  next_offset: number;
  oldest_multi: number;
  /** null when the offsets page could not be read. */
  oldest_offset: number | null;
}

/** A longer-run XID count the server keeps evidence of (the xidClocks dataset). */
export interface XidClockRow {
  /** "checkpoint": exact since the last checkpoint; "vacuum": at most, since `relation` was last vacuumed. */
  source: 'checkpoint' | 'vacuum';
  relation: string | null;
  xids: number;
  seconds: number;
}

export interface TableRow {
  schema: string;
  name: string;
  kind: 'r' | 'm';
  persistence: 'p' | 'u' | 't';
  /** A catalog the whole cluster shares (pg_database, pg_authid, …): listed, with its own relfrozenxid, in every database. */
  shared: boolean;
  xid_age: number;
  toast_xid_age: number;
  mxid_age: number;
  pages: number;
  toast_pages: number;
  reltuples: number;
  reloptions: string[] | null;
  toast_reloptions: string[] | null;
  live_tuples: number | null;
  dead_tuples: number | null;
  mod_since_analyze: number | null;
  last_vacuum: Date | null;
  last_autovacuum: Date | null;
  vacuum_count: number | null;
  autovacuum_count: number | null;
  inserts_since_vacuum: number | null;
  all_frozen_pages: number | null;
  /** Tables and materialized views in the whole database (every row carries it). */
  total_tables: number;
}

export interface LockRow {
  /** null for a prepared transaction's lock. */
  pid: number | null;
  locktype: string;
  mode: string;
  granted: boolean;
  relation: string | null;
  relid: number | null;
  transactionid: string | null;
  /** pg_class.relkind of the relation (r, p, m, i, …); absent or null when unknown. */
  relkind?: string | null;
}

/** A numeric setting, or the fallback when it is absent (older versions) or unreadable. */
export function settingNumber(settings: SettingRow[] | undefined, name: string, fallback: number): number {
  const row = settings?.find((s) => s.name === name);
  const value = row ? Number(row.setting) : NaN;
  return Number.isFinite(value) ? value : fallback;
}

export function settingText(settings: SettingRow[] | undefined, name: string): string | undefined {
  return settings?.find((s) => s.name === name)?.setting;
}
