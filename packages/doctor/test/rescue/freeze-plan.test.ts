import { describe, expect, it } from 'vitest';
import type { ActivityRow, DatabaseRow, PreparedRow, SlotRow, StandbyRow } from '../../src/collect/rows.js';
import type { Snapshot } from '../../src/collect/snapshot.js';
import { buildFreezePlan as planFreeze, type FreezePlanOptions } from '../../src/rescue/freeze-plan.js';
import type { LockRow, PlanInputs, RelationRow } from '../../src/rescue/plan-sql.js';

// Pure planning on row fixtures: no server needed.

const STOP = 2 ** 31 - 1 - 3_000_000;
const OPTIONS: FreezePlanOptions = { jobs: 2, emergency: false, pagesPerSecond: 1000 };

function db(datname: string, xid_age: number, extra: Partial<DatabaseRow> = {}): DatabaseRow {
  return {
    datname,
    datallowconn: true,
    datconnlimit: -1,
    xid_age,
    mxid_age: 0,
    datfrozenxid: '3',
    deadlocks: 0,
    checksum_failures: 0,
    checksum_last_failure: null,
    xact_commit: 0,
    xact_rollback: 0,
    conflicts: 0,
    is_current: false,
    ...extra,
  };
}

let nextOid = 16384;
function rel(name: string, xid_age: number, pages: number, extra: Partial<RelationRow> = {}): RelationRow {
  return { oid: nextOid++, schema: 'public', name, kind: 'r', shared: false, persistence: 'p', xid_age, mxid_age: 0, toast_xid_age: 0, pages, toast_pages: 0, frozen_pages: null, ...extra };
}

function session(pid: number, datname: string, xid_age: number, extra: Partial<ActivityRow> = {}): ActivityRow {
  return {
    pid,
    datname,
    usename: 'app',
    application_name: 'orders',
    client_addr: null,
    backend_type: 'client backend',
    state: 'idle in transaction',
    backend_xid: '1000',
    backend_xmin: null,
    xid_age,
    xmin_age: null,
    xact_seconds: 600,
    query_seconds: 600,
    state_seconds: 600,
    wait_event_type: null,
    wait_event: null,
    query: 'UPDATE orders …',
    blocked_by: [],
    ...extra,
  };
}

function inputs(parts: {
  databases: DatabaseRow[];
  relations: Record<string, RelationRow[]>;
  locks?: Record<string, LockRow[]>;
  activity?: ActivityRow[];
  prepared?: PreparedRow[];
  slots?: SlotRow[];
  standbys?: StandbyRow[];
  versionNum?: number;
  target?: number;
}): PlanInputs {
  const snapshot: Snapshot = {
    server: { version_num: parts.versionNum ?? 150000, version: '15.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1', at: 0 },
    settings: [
      { name: 'autovacuum_freeze_max_age', setting: '200000000', unit: null, source: 'default' },
      { name: 'vacuum_failsafe_age', setting: '1600000000', unit: null, source: 'default' },
    ],
    databases: parts.databases,
    activity: parts.activity ?? [],
    prepared: parts.prepared ?? [],
    slots: parts.slots ?? [],
    standbys: parts.standbys ?? [],
    tables: {},
    locks: {},
    skipped: [],
  };
  return { snapshot, targetXidAge: parts.target ?? 200_000_000, targetMxidAge: parts.target ?? 200_000_000, relations: parts.relations, locks: parts.locks ?? {}, skipped: [] };
}

describe('planFreeze', () => {
  it('orders zone by zone across databases, small relations last in their zone, and simulates J workers', () => {
    const plan = planFreeze(
      inputs({
        databases: [db('a', STOP + 100), db('b', 1_700_000_000), db('c', 150_000_000)],
        relations: {
          a: [rel('a_stop_small', STOP + 100, 10), rel('a_stop_big', STOP + 50, 3000), rel('a_young', 300_000_000, 5000)],
          b: [rel('b_failsafe', 1_700_000_000, 100), rel('b_warn', 2_110_000_000, 1)],
          c: [],
        },
      }),
      OPTIONS,
    );
    expect(plan.order.map((r) => `${r.tier}:${r.name}`)).toEqual(['stop:a_stop_big', 'stop:a_stop_small', 'warn:b_warn', 'failsafe:b_failsafe', 'autovacuum:a_young']);
    // Two workers: a_stop_big on one, the small ones on the other; a_young starts when the first is free.
    const at = Object.fromEntries(plan.order.map((r) => [r.name, [r.startsAt, r.endsAt]]));
    expect(at.a_stop_big![1]).toBeCloseTo(3.005, 3);
    expect(at.a_stop_small![0]).toBe(0);
    expect(at.a_young![0]).toBeCloseTo(0.126, 3);
    const a = plan.databases.find((d) => d.name === 'a')!;
    expect(a).toMatchObject({ zone: 'stop', reachesTarget: true, leavesStopZone: true, relations: 3, reachableXidAge: null });
    expect(a.outOfStopZoneAt).toBeCloseTo(3.005, 3);
    expect(plan.estimate.outOfStopZoneSeconds).toBeCloseTo(3.005, 3);
    expect(plan.estimate.seconds).toBeCloseTo(5.131, 3);
    expect(plan.databases.find((d) => d.name === 'c')).toMatchObject({ zone: 'ok', relations: 0, reachesTarget: true });
    expect(plan.blockers).toEqual([]);
    expect(plan.order[0]!.sql).toBe('VACUUM (FREEZE, TRUNCATE false) "public"."a_stop_big"');
  });

  it('within a zone, oldest first whatever the size: each relation done lowers its database age at once', () => {
    const plan = planFreeze(
      inputs({
        databases: [db('a', 1_900_000_000)],
        relations: { a: [rel('younger_big', 1_700_000_000, 9000), rel('oldest_mid', 1_900_000_000, 700), rel('older_big', 1_800_000_000, 5000)] },
      }),
      OPTIONS,
    );
    expect(plan.order.map((r) => r.name)).toEqual(['oldest_mid', 'older_big', 'younger_big']);
  });

  it('a horizon holder older than the target caps every database (through the shared catalogs) and is a blocker to terminate', () => {
    const plan = planFreeze(
      inputs({
        databases: [db('a', 900_000_000), db('b', 800_000_000)],
        relations: { a: [rel('t', 900_000_000, 10)], b: [rel('u', 800_000_000, 10)] },
        activity: [session(4242, 'a', 300_000_000), session(4243, 'a', 1000)],
      }),
      OPTIONS,
    );
    for (const name of ['a', 'b']) {
      expect(plan.databases.find((d) => d.name === name)).toMatchObject({ reachesTarget: false, reachableXidAge: 300_000_000 });
      expect(plan.databases.find((d) => d.name === name)!.heldBy).toContain('session pid 4242');
    }
    expect(plan.holders[0]!.reach).toBe('database "a", and every other database through the shared catalogs');
    // Only the holder that stands in the way is released; the young one is left alone.
    expect(plan.blockers.map((b) => [b.id, b.action])).toEqual([['pid:4242', 'terminate']]);
    expect(plan.blockers[0]!.identity).toEqual({ pid: 4242, backendXid: '1000', backendXmin: null });
  });

  it('names a standby and an active slot without releasing them; an inactive slot is dropped, its name quoted', () => {
    const slot = (slot_name: string, active: boolean, xmin_age: number): SlotRow => ({
      slot_name,
      slot_type: 'physical',
      plugin: null,
      database: null,
      temporary: false,
      active,
      active_pid: active ? 77 : null,
      xmin: '900',
      catalog_xmin: null,
      xmin_age,
      catalog_xmin_age: null,
      restart_lsn: '0/1',
      retained_bytes: 0,
      wal_status: 'reserved',
      inactive_seconds: null,
      invalidation_reason: null,
    });
    const standby: StandbyRow = { pid: 88, application_name: 'replica1', client_addr: '10.0.0.2', state: 'streaming', sync_state: 'async', backend_xmin: '800', xmin_age: 500_000_000, replay_lag_seconds: 1 };
    const plan = planFreeze(
      inputs({ databases: [db('a', 900_000_000)], relations: { a: [rel('t', 900_000_000, 1)] }, slots: [slot("o'old", false, 700_000_000), slot('live', true, 600_000_000)], standbys: [standby] }),
      OPTIONS,
    );
    const byId = Object.fromEntries(plan.blockers.map((b) => [b.id, b]));
    expect(byId["slot:o'old"]).toMatchObject({ action: 'drop-slot', steps: ["SELECT pg_drop_replication_slot('o''old');  -- its consumer must then be set up again"] });
    expect(byId['slot:live']).toMatchObject({ action: 'none' });
    expect(byId['slot:live']!.steps[0]).toMatch(/^-- in use by pid 77: stop that consumer/);
    expect(byId['standby:replica1']).toMatchObject({ action: 'none' });
    expect(byId['standby:replica1']!.steps[0]).toMatch(/on standby "replica1" \(10\.0\.0\.2\).*cannot be released from the primary/);
  });

  it('a prepared transaction that locks a relation to freeze holds that database at its age until rolled back, in its own database', () => {
    const locked = rel('orders', 2_000_000_000, 50);
    const prepared: PreparedRow = { gid: "tx'1", database: 'shop', owner: 'app', xid: '555', xid_age: 1_000_000, seconds: 99, prepared: new Date(0), locks: [] };
    const plan = planFreeze(
      inputs({
        databases: [db('shop', 2_000_000_000)],
        relations: { shop: [locked, rel('free', 1_500_000_000, 5)] },
        prepared: [prepared],
        locks: { shop: [{ oid: locked.oid, mode: 'ShareUpdateExclusiveLock', pid: null, gid: "tx'1", backend_type: null }] },
      }),
      OPTIONS,
    );
    expect(plan.blockers).toHaveLength(1);
    expect(plan.blockers[0]).toMatchObject({ id: "gid:tx'1", action: 'rollback-prepared', database: 'shop', identity: { gid: "tx'1", xid: '555' } });
    expect(plan.blockers[0]!.steps[0]).toBe(`\\connect "shop"\nROLLBACK PREPARED 'tx''1';  -- only once its transaction manager has given it up`);
    expect(plan.order.find((r) => r.name === 'orders')!.lockedBy).toBe(`prepared transaction 'tx'1' in database "shop"`);
    expect(plan.databases[0]).toMatchObject({ reachesTarget: false, reachableXidAge: 2_000_000_000 });
    expect(plan.databases[0]!.heldBy).toBe(`prepared transaction 'tx'1' in database "shop", which locks "public"."orders"`);
  });

  it('a database a holder keeps in the stop zone goes after one that can leave it, and the locked relation goes last of all', () => {
    const heldTable = rel('held', STOP + 500, 50);
    const prepared: PreparedRow = { gid: 'decoy', database: 'decoy', owner: 'app', xid: '555', xid_age: 1_000_000, seconds: 99, prepared: new Date(0), locks: [] };
    const plan = planFreeze(
      inputs({
        // The decoy is older: by age alone its relations would go first.
        databases: [db('decoy', STOP + 500), db('testdb', STOP + 100)],
        relations: { decoy: [heldTable, rel('decoy_free', STOP + 400, 3000)], testdb: [rel('test_stop', STOP + 100, 3000), rel('test_young', 300_000_000, 10)] },
        prepared: [prepared],
        locks: { decoy: [{ oid: heldTable.oid, mode: 'ShareUpdateExclusiveLock', pid: null, gid: 'decoy', backend_type: null }] },
      }),
      OPTIONS,
    );
    expect(plan.order.map((r) => r.name)).toEqual(['test_stop', 'decoy_free', 'test_young', 'held']);
    expect(plan.databases.find((d) => d.name === 'testdb')).toMatchObject({ leavesStopZone: true });
    expect(plan.databases.find((d) => d.name === 'decoy')).toMatchObject({ leavesStopZone: false });
  });

  it("autovacuum's own lock is noted but is no blocker: it is freezing the table already", () => {
    const busy = rel('busy', 900_000_000, 5);
    const plan = planFreeze(
      inputs({ databases: [db('a', 900_000_000)], relations: { a: [busy] }, locks: { a: [{ oid: busy.oid, mode: 'ShareUpdateExclusiveLock', pid: 31, gid: null, backend_type: 'autovacuum worker' }] } }),
      OPTIONS,
    );
    expect(plan.blockers).toEqual([]);
    expect(plan.order[0]!.lockedBy).toBe('autovacuum (pid 31), which is vacuuming it now');
    expect(plan.databases[0]!.reachesTarget).toBe(true);
  });

  it('temporary tables of other sessions cannot be frozen; a database that refuses connections is left to autovacuum', () => {
    const plan = planFreeze(
      inputs({
        databases: [db('a', 700_000_000), db('template0', 600_000_000, { datallowconn: false })],
        relations: { a: [rel('scratch', 700_000_000, 3, { schema: 'pg_temp_3', persistence: 't' }), rel('t', 400_000_000, 3)] },
      }),
      OPTIONS,
    );
    expect(plan.cannotFreeze).toEqual([{ database: 'a', relation: '"pg_temp_3"."scratch"', xidAge: 700_000_000, reason: expect.stringMatching(/^a temporary table/) }]);
    expect(plan.order.map((r) => r.name)).toEqual(['t']);
    expect(plan.databases[0]).toMatchObject({ reachesTarget: false, reachableXidAge: 700_000_000 });
    const template0 = plan.databases[1]!;
    expect(template0).toMatchObject({ reachesTarget: false, relations: 0, heldBy: 'it does not accept connections' });
    expect(template0.notes[0]).toMatch(/autovacuum freezes it by itself/);
  });

  it('pages to scan: relation pages minus relallfrozen on 18, all pages before; --emergency adds INDEX_CLEANUP off', () => {
    const on18 = planFreeze(
      inputs({ versionNum: 180000, databases: [db('a', 900_000_000)], relations: { a: [rel('t', 900_000_000, 100, { toast_pages: 20, frozen_pages: 90 })] } }),
      { ...OPTIONS, emergency: true },
    );
    expect(on18.order[0]).toMatchObject({ pages: 120, pagesToScan: 30, sql: 'VACUUM (FREEZE, TRUNCATE false, INDEX_CLEANUP off) "public"."t"' });
    const on15 = planFreeze(inputs({ databases: [db('a', 900_000_000)], relations: { a: [rel('t', 900_000_000, 100, { toast_pages: 20 })] } }), OPTIONS);
    expect(on15.order[0]).toMatchObject({ pages: 120, pagesToScan: 120 });
  });
});
