// Row fixtures for the XID and MultiXact wraparound checks: databases and tables of given ages, prepared transactions with locks.
import type { DatabaseRow, PreparedRow, SettingRow, TableRow } from '../../src/collect/rows.js';
import type { Snapshot } from '../../src/collect/snapshot.js';

export const HALF = 2 ** 31 - 1;

export function database(datname: string, xidAge: number, mxidAge = 0): DatabaseRow {
  return { datname, datallowconn: true, datconnlimit: -1, xid_age: xidAge, mxid_age: mxidAge, datfrozenxid: '3', deadlocks: 0, checksum_failures: null, checksum_last_failure: null, xact_commit: 0, xact_rollback: 0, conflicts: 0, is_current: false };
}

export function table(name: string, xidAge: number, mxidAge = 0): TableRow {
  return { schema: 'public', name, kind: 'r', persistence: 'p', shared: false, xid_age: xidAge, toast_xid_age: xidAge - 1, mxid_age: mxidAge, pages: 10, toast_pages: 1, reltuples: 100, reloptions: null, toast_reloptions: null, live_tuples: 100, dead_tuples: 0, mod_since_analyze: 0, last_vacuum: null, last_autovacuum: null, vacuum_count: 0, autovacuum_count: 0, inserts_since_vacuum: 0, all_frozen_pages: 0, total_tables: 3 };
}

export function prepared(gid: string, xidAge: number, mode: string): PreparedRow {
  return { gid, database: 'incident', owner: 'app', xid: '900', xid_age: xidAge, seconds: 5000, prepared: new Date(0), locks: [{ locktype: 'relation', mode, relation: 'public.aged_01', same_database: false }] };
}

export function snapshot(databases: DatabaseRow[], tables: TableRow[], preparedRows: PreparedRow[] = []): Snapshot {
  const settings: SettingRow[] = [
    { name: 'autovacuum_freeze_max_age', setting: '200000000', unit: null, source: 'default' },
    { name: 'vacuum_failsafe_age', setting: '1600000000', unit: null, source: 'default' },
  ];
  const server = { version_num: 150000, version: '15.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1000', at: 1_700_000_000 };
  return { server, settings, databases, prepared: preparedRows, activity: [], slots: [], standbys: [], tables: { incident: tables }, locks: {}, skipped: [], xidRate: { xidsPerSecond: 1000, sampleSeconds: 10 } };
}

