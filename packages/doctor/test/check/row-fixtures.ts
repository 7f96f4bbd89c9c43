import type { ActivityRow, DatabaseRow, LockRow, PreparedRow, ServerRow, SettingRow, SlotRow, StandbyRow, TableRow, VacuumProgressRow } from '../../src/collect/rows.js';
import type { BloatRow } from '../../src/collect/bloat-dataset.js';
import type { Snapshot } from '../../src/collect/snapshot.js';

// Row fixtures for the pure `evaluate` cases: a healthy default for every field, so a case states only what
// makes it faulty (or shows which near-miss stays silent).

export function server(fields: Partial<ServerRow> = {}): ServerRow {
  return { version_num: 180000, version: '18.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1000', at: 1_700_000_000, uptime_seconds: 86_400, ...fields };
}

export function setting(name: string, value: string, source = 'default'): SettingRow {
  return { name, setting: value, unit: null, source };
}

export function database(datname: string, fields: Partial<DatabaseRow> = {}): DatabaseRow {
  return { datname, datallowconn: true, datconnlimit: -1, xid_age: 1000, mxid_age: 0, datfrozenxid: '3', deadlocks: 0, checksum_failures: 0, checksum_last_failure: null, xact_commit: 0, xact_rollback: 0, conflicts: 0, is_current: false, ...fields };
}

export function session(pid: number, fields: Partial<ActivityRow> = {}): ActivityRow {
  return {
    pid,
    datname: 'app',
    usename: 'app',
    application_name: `app-${pid}`,
    client_addr: '10.0.0.1',
    backend_type: 'client backend',
    state: 'idle',
    backend_xid: null,
    backend_xmin: null,
    xid_age: null,
    xmin_age: null,
    xact_seconds: null,
    query_seconds: 1,
    state_seconds: 1,
    wait_event_type: null,
    wait_event: null,
    query: 'SELECT 1',
    blocked_by: [],
    ...fields,
  };
}

export function prepared(gid: string, fields: Partial<PreparedRow> = {}): PreparedRow {
  return { gid, database: 'app', owner: 'app', xid: '900', xid_age: 100, seconds: 5000, prepared: new Date(0), locks: [], ...fields };
}

export function slot(slot_name: string, fields: Partial<SlotRow> = {}): SlotRow {
  return {
    slot_name,
    slot_type: 'physical',
    plugin: null,
    database: null,
    temporary: false,
    active: true,
    active_pid: 4242,
    xmin: null,
    catalog_xmin: null,
    xmin_age: null,
    catalog_xmin_age: null,
    restart_lsn: '0/3000000',
    retained_bytes: 16 * 1024 ** 2,
    wal_status: 'reserved',
    inactive_seconds: null,
    invalidation_reason: null,
    ...fields,
  };
}

export function standby(application_name: string, fields: Partial<StandbyRow> = {}): StandbyRow {
  return { pid: 5151, application_name, client_addr: '10.0.0.2', state: 'streaming', sync_state: 'async', backend_xmin: null, xmin_age: null, replay_lag_seconds: 0, ...fields };
}

export function vacuumProgress(pid: number, relation: string, fields: Partial<VacuumProgressRow> = {}): VacuumProgressRow {
  return {
    pid,
    datname: 'app',
    relation,
    phase: 'scanning heap',
    heap_blks_total: 1000,
    heap_blks_scanned: 500,
    heap_blks_vacuumed: 400,
    index_vacuum_count: 0,
    backend_type: 'autovacuum worker',
    query: `autovacuum: VACUUM ${relation}`,
    seconds: 30,
    wait_event_type: null,
    wait_event: null,
    ...fields,
  };
}

export function table(name: string, fields: Partial<TableRow> = {}): TableRow {
  return {
    schema: 'public',
    name,
    kind: 'r',
    persistence: 'p',
    shared: false,
    xid_age: 1000,
    toast_xid_age: 999,
    mxid_age: 0,
    pages: 100,
    toast_pages: 0,
    reltuples: 10_000,
    reloptions: null,
    toast_reloptions: null,
    live_tuples: 10_000,
    dead_tuples: 0,
    mod_since_analyze: 0,
    last_vacuum: null,
    last_autovacuum: new Date(1_699_990_000_000),
    vacuum_count: 0,
    autovacuum_count: 1,
    inserts_since_vacuum: 0,
    all_frozen_pages: 0,
    total_tables: 1,
    ...fields,
  };
}

export function lock(pid: number | null, fields: Partial<LockRow> = {}): LockRow {
  return { pid, locktype: 'relation', mode: 'AccessShareLock', granted: true, relation: 'public.orders', relid: 16_384, transactionid: null, ...fields };
}

/** A snapshot in which every dataset was read (empty unless given): a check never skips on a fixture. */
export function snapshot(fields: Partial<Snapshot> = {}): Snapshot {
  return {
    server: server(),
    settings: [],
    databases: [database('app')],
    activity: [],
    prepared: [],
    slots: [],
    standbys: [],
    vacuumProgress: [],
    multixactMembers: [],
    tables: { app: [] },
    locks: { app: [] },
    skipped: [],
    ...fields,
  };
}

/** A bloat dataset row: 1,000 pages of a table whose 100,000 rows (int8, int4, text of ~20 bytes) need 637 pages. */
export function bloatRow(name: string, fields: Partial<BloatRow> = {}): BloatRow {
  return {
    kind: 'table',
    oid: 16_384,
    schema: 'public',
    name,
    table: name,
    bytes: 1000 * 8192,
    block_size: 8192,
    reloptions: null,
    tuples: 100_000,
    dead_tuples: 0,
    primary: null,
    unique: null,
    partial: null,
    columns: [
      [8, 'd', 8, 0],
      [4, 'i', 4, 0],
      [-1, 'i', 21, 0],
    ],
    pgstattuple_schema: null,
    ...fields,
  };
}
