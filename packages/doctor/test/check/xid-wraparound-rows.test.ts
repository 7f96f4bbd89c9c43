import { describe, expect, it } from 'vitest';
import type { DatabaseRow, PreparedRow, SettingRow, TableRow } from '../../src/collect/rows.js';
import type { Snapshot } from '../../src/collect/snapshot.js';
import mxidWraparound from '../../src/checks/mxid-wraparound.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import xidWraparound from '../../src/checks/xid-wraparound.js';

const HALF = 2 ** 31 - 1;

function database(datname: string, xidAge: number, mxidAge = 0): DatabaseRow {
  return { datname, datallowconn: true, datconnlimit: -1, xid_age: xidAge, mxid_age: mxidAge, datfrozenxid: '3', deadlocks: 0, checksum_failures: null, checksum_last_failure: null, xact_commit: 0, xact_rollback: 0, conflicts: 0, is_current: false };
}

function table(name: string, xidAge: number, mxidAge = 0): TableRow {
  return { schema: 'public', name, kind: 'r', persistence: 'p', xid_age: xidAge, toast_xid_age: xidAge - 1, mxid_age: mxidAge, pages: 10, toast_pages: 1, reltuples: 100, reloptions: null, toast_reloptions: null, live_tuples: 100, dead_tuples: 0, mod_since_analyze: 0, last_vacuum: null, last_autovacuum: null, vacuum_count: 0, autovacuum_count: 0, inserts_since_vacuum: 0, all_frozen_pages: 0, total_tables: 3 };
}

function prepared(gid: string, xidAge: number, mode: string): PreparedRow {
  return { gid, database: 'incident', owner: 'app', xid: '900', xid_age: xidAge, seconds: 5000, prepared: new Date(0), locks: [{ locktype: 'relation', mode, relation: 'public.aged_01', same_database: false }] };
}

function snapshot(databases: DatabaseRow[], tables: TableRow[], preparedRows: PreparedRow[] = []): Snapshot {
  const settings: SettingRow[] = [
    { name: 'autovacuum_freeze_max_age', setting: '200000000', unit: null, source: 'default' },
    { name: 'vacuum_failsafe_age', setting: '1600000000', unit: null, source: 'default' },
  ];
  const server = { version_num: 150000, version: '15.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1000', at: 1_700_000_000 };
  return { server, settings, databases, prepared: preparedRows, activity: [], slots: [], standbys: [], tables: { incident: tables }, locks: {}, skipped: [], xidRate: { xidsPerSecond: 1000, sampleSeconds: 10 } };
}

const context = { thresholds: DEFAULT_THRESHOLDS };

describe('xid-wraparound on row fixtures', () => {
  it('severity by zone: warning past autovacuum_freeze_max_age, critical from the failsafe age on, nothing below', () => {
    const severity = (age: number) => xidWraparound.evaluate(snapshot([database('incident', age)], []), context)[0]?.severity;
    expect(severity(150_000_000)).toBeUndefined();
    expect(severity(300_000_000)).toBe('warning');
    expect(severity(1_700_000_000)).toBe('critical');
    expect(severity(HALF - 20_000_000)).toBe('critical');
    expect(severity(HALF - 1_000_000)).toBe('critical');
  });

  it('releases a young prepared transaction first when it locks the tables against VACUUM, not one that only wrote', () => {
    const tables = [table('aged_01', 1_000_000_000), table('aged_02', 800_000_000)];
    const blocking = prepared('in-doubt', 1_000_000, 'ShareUpdateExclusiveLock');
    const harmless = prepared('writer', 1_000_000, 'RowExclusiveLock');
    const [finding] = xidWraparound.evaluate(snapshot([database('incident', 1_000_000_000)], tables, [blocking, harmless]), context);
    const steps = finding!.remediation.join('\n');
    expect(steps).toContain(`ROLLBACK PREPARED 'in-doubt';`);
    expect(steps).not.toContain(`ROLLBACK PREPARED 'writer';`);
    expect(steps.indexOf(`ROLLBACK PREPARED 'in-doubt'`)).toBeLessThan(steps.indexOf('VACUUM (FREEZE, TRUNCATE false, VERBOSE) "public"."aged_01";'));
    expect(steps.indexOf('"aged_01"')).toBeLessThan(steps.indexOf('"aged_02"'));
    // A holder as old as half the database's age caps any freeze: it is released whatever it locks.
    const [old] = xidWraparound.evaluate(snapshot([database('incident', 1_000_000_000)], tables, [prepared('ancient', 600_000_000, 'RowExclusiveLock')]), context);
    expect(old!.remediation.join('\n')).toContain(`ROLLBACK PREPARED 'ancient';`);
  });

  it('time left to each limit from the sampled rate, TOAST ages in the table evidence', () => {
    const [finding] = xidWraparound.evaluate(snapshot([database('incident', HALF - 20_000_000)], [table('aged_01', HALF - 20_000_000)]), context);
    expect(finding!.evidence).toContainEqual({ to: 'stop', xids_left: 17_000_000, eta: '4h 43m' });
    expect(finding!.evidence).toContainEqual({ table: 'public.aged_01', xid_age: HALF - 20_000_000, toast_xid_age: HALF - 20_000_001, pages: 11 });
    expect(finding!.summary).toBe(`Database "incident" is ${(HALF - 20_000_000).toLocaleString('en-US')} XIDs old: inside the wraparound warning zone, 17,000,000 XIDs (4h 43m) before it stops accepting writes.`);
  });
});

describe('mxid-wraparound on row fixtures', () => {
  it('names the prepared transaction whose locks keep VACUUM away, before the freezes, oldest first', () => {
    const tables = [table('aged_02', 5, 700_000_000), table('aged_01', 5, 900_000_000)];
    const [finding] = mxidWraparound.evaluate(snapshot([database('incident', 5, 900_000_000)], tables, [prepared('in-doubt', 10, 'ShareUpdateExclusiveLock')]), context);
    expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'incident' } });
    expect(finding!.remediation.slice(0, 2)).toEqual([
      '-- first release what keeps VACUUM from these tables:',
      `-- in database "incident", once the transaction manager confirms it is abandoned:\nROLLBACK PREPARED 'in-doubt';`,
    ]);
    const steps = finding!.remediation.join('\n');
    expect(steps.indexOf('"aged_01"')).toBeLessThan(steps.indexOf('"aged_02"'));
  });
});
