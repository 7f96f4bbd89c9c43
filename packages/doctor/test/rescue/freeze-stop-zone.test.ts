import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, xidWraparound, type XidWraparoundFault, wraparoundTemplate } from '@mvcc-doctor/lab';
import type { FreezePlan } from '../../src/rescue/freeze-plan.js';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import type { ReleaseResult } from '../../src/rescue/blocker-release.js';
import { cli, nextXid, tableAge, tryWrite } from './helpers.js';

const PG_RESETWAL = '/usr/lib/postgresql/15/bin/pg_resetwal';
const ready = existsSync(PG_RESETWAL);
type RunJson = { plan: FreezePlan; release?: ReleaseResult[]; result: FreezeRunResult };

describe.skipIf(!ready)('freeze: the held stop-zone incident (PostgreSQL 15)', () => {
  let cluster: Cluster;
  let fault: XidWraparoundFault;
  let url: string;

  beforeAll(async () => {
    const template = await wraparoundTemplate({ kind: 'xid' });
    cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: 'freeze-stop' });
    fault = await xidWraparound(cluster, { zone: 'stop' });
    url = cluster.connectionString('postgres');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('plan: names the prepared transaction as the blocker, says the target cannot be reached until it goes, and changes nothing', async () => {
    const before = await nextXid(cluster);
    const { code, out } = await cli(['freeze', 'plan', url, '--json']);
    expect(code).toBe(2);
    const plan = JSON.parse(out) as FreezePlan;
    const incident = plan.databases.find((d) => d.name === fault.database)!;
    expect(incident).toMatchObject({ zone: 'stop', reachesTarget: false, leavesStopZone: false });
    expect(incident.heldBy).toContain(fault.gid);
    expect(plan.holders.map((h) => h.description)).toContain(`prepared transaction '${fault.gid}' in database "${fault.database}"`);
    const blocker = plan.blockers.find((b) => b.id === `gid:${fault.gid}`)!;
    expect(blocker).toMatchObject({ kind: 'prepared-transaction', action: 'rollback-prepared', database: fault.database });
    expect(blocker.steps.join('\n')).toBe(`\\connect "${fault.database}"\nROLLBACK PREPARED '${fault.gid}';  -- only once its transaction manager has given it up`);
    // The oldest table is the only one in the stop zone, but the blocker locks it: its VACUUM would only wait, so
    // it goes after every relation that can be frozen; every aged table is planned, TOAST with it.
    const blocked = plan.order.findIndex((r) => r.lockedBy?.includes(fault.gid));
    expect(plan.order.slice(blocked).every((r) => r.lockedBy?.includes(fault.gid))).toBe(true);
    expect(plan.order.find((r) => r.tier === 'stop')).toMatchObject({ database: fault.database, relation: '"public"."aged_01"', sql: 'VACUUM (FREEZE, TRUNCATE false) "public"."aged_01"' });
    const aged = plan.order.filter((r) => r.database === fault.database && r.name.startsWith('aged_')).map((r) => r.name).sort();
    expect(aged).toEqual(fault.tables.map((t) => t.table.replace('public.', '')).sort());
    const locked = fault.tables.filter((t) => t.locked).map((t) => `"public"."${t.table.slice(7)}"`);
    expect(plan.order.filter((r) => r.lockedBy?.includes(fault.gid)).map((r) => r.relation).sort()).toEqual(locked.sort());

    const text = await cli(['freeze', url]);
    expect(text.code).toBe(2);
    expect(text.out).toContain('The target cannot be reached until it is released');
    expect(text.out).toContain('\\connect "incident"\n');
    expect(text.out).toContain('  VACUUM (FREEZE, TRUNCATE false) "public"."aged_01";');
    expect(await nextXid(cluster)).toBe(before);
  });

  it('run without --release-blockers: freezes what it can (empty tails kept), the locked tables fail alone after one retry, no XID is used', async () => {
    const before = await nextXid(cluster);
    const { code, out } = await cli(['freeze', 'run', url, '--json', '--lock-timeout', '200ms']);
    expect(code).toBe(2);
    const { result } = JSON.parse(out) as RunJson;
    const locked = fault.tables.filter((t) => t.locked).map((t) => `"public"."${t.table.slice(7)}"`);
    expect(result.failed.map((f) => f.relation.relation).sort()).toEqual(locked.sort());
    for (const f of result.failed) expect(f, JSON.stringify(f)).toMatchObject({ kind: 'locked', code: '55P03', attempts: 2 });
    expect(result.failed[0]!.nextStep).toMatch(/SELECT pid, mode, granted FROM pg_locks WHERE relation = \d+/);
    // The tables with empty trailing pages that nothing locks are frozen, and keep their pages.
    const trapped = fault.tables.filter((t) => t.emptyTail && !t.locked);
    expect(trapped.length).toBeGreaterThan(0);
    // Frozen as far as the horizon lets it: up to the prepared transaction's XID, which still holds.
    const { rows: held } = await cluster.sql<{ age: number }>('SELECT age(transaction)::int AS age FROM pg_prepared_xacts WHERE gid = $1', [fault.gid]);
    for (const t of trapped) {
      expect(await tableAge(cluster, t.table, fault.database)).toBe(held[0]!.age);
      expect(result.frozen.find((f) => f.relation.relation === `"public"."${t.table.slice(7)}"`)?.xidAgeAfter).toBe(held[0]!.age);
      const { rows } = await cluster.sql<{ pages: number }>('SELECT (pg_relation_size($1) / 8192)::int AS pages', [t.table], fault.database);
      expect(rows[0]!.pages).toBe(t.pages);
    }
    expect(result.targetReached).toBe(false);
    expect(result.leftStopZoneAt).toBeUndefined();
    expect(await nextXid(cluster)).toBe(before);
    expect((await tryWrite(cluster, fault.database, `INSERT INTO public.aged_01 VALUES (-1, 'x')`))?.code).toBe('54000');
  });

  it('--release-blockers off a terminal without --yes refuses and releases nothing', async () => {
    const { code, err } = await cli(['freeze', 'run', url, '--release-blockers']);
    expect(code).toBe(3);
    expect(err).toContain('add --yes');
    const { rows } = await cluster.sql('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [fault.gid]);
    expect(rows).toHaveLength(1);
  });

  it('run --release-blockers --yes: rolls the prepared transaction back, gets under the target (autovacuum, no longer blocked, helps); an INSERT succeeds', async () => {
    const { code, out } = await cli(['freeze', 'run', url, '--json', '--release-blockers', '--yes', '--jobs', '2']);
    const { plan, release, result } = JSON.parse(out) as RunJson;
    expect(release?.map((r) => [r.blocker.id, r.status])).toEqual([[`gid:${fault.gid}`, 'released']]);
    expect(plan.blockers).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.targetReached).toBe(true);
    expect(code).toBe(0);
    expect((await cluster.sql('SELECT gid FROM pg_prepared_xacts')).rows).toEqual([]);
    const { rows } = await cluster.sql<{ age: number }>('SELECT age(datfrozenxid)::int AS age FROM pg_database WHERE datname = $1', [fault.database]);
    expect(rows[0]!.age).toBeLessThanOrEqual(plan.target.xidAge);
    expect(await tryWrite(cluster, fault.database, `INSERT INTO public.aged_01 VALUES (-1, 'after the rescue')`)).toBeUndefined();
  });

  it('a second run finds nothing left to do', async () => {
    const { code, out } = await cli(['freeze', 'run', url, '--json']);
    const { plan, result } = JSON.parse(out) as RunJson;
    expect(code).toBe(0);
    expect(plan.order.filter((r) => r.database === fault.database)).toEqual([]);
    expect(result.targetReached).toBe(true);
  });
});

/**
 * Autovacuum off and its waiting workers gone, so that what leaves the stop zone is the freeze run. (Every
 * advance of datfrozenxid still past autovacuum_freeze_max_age starts one emergency worker again.)
 */
async function withoutAutovacuum(cluster: Cluster): Promise<void> {
  await cluster.sql('ALTER SYSTEM SET autovacuum = off');
  await cluster.sql('SELECT pg_reload_conf()');
  // The launcher may start one last worker as it goes: wait for 500 ms without any.
  let quiet = 0;
  for (let i = 0; i < 200 && quiet < 10; i++) {
    const { rows } = await cluster.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type IN ('autovacuum worker', 'autovacuum launcher')`);
    quiet = rows.length === 0 ? quiet + 1 : 0;
    if (rows.length > 0) await cluster.sql('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [rows.map((r) => r.pid)]);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (quiet < 10) throw new Error('autovacuum did not go away');
}

describe.skipIf(!ready)('freeze: the held stop-zone incident, rescued by freeze (autovacuum off)', () => {
  let cluster: Cluster;
  let fault: XidWraparoundFault;

  beforeAll(async () => {
    const template = await wraparoundTemplate({ kind: 'xid' });
    cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: 'freeze-stop-alone' });
    fault = await xidWraparound(cluster, { zone: 'stop' });
    await withoutAutovacuum(cluster);
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('run --release-blockers --yes: the oldest table first, out of the stop zone, every database that accepts connections under the target', async () => {
    expect((await tryWrite(cluster, fault.database, `INSERT INTO public.aged_01 VALUES (-1, 'x')`))?.code).toBe('54000');
    const { code, out } = await cli(['freeze', 'run', cluster.connectionString('postgres'), '--json', '--release-blockers', '--yes', '--jobs', '2']);
    const { plan, release, result } = JSON.parse(out) as RunJson;
    expect(release?.map((r) => [r.blocker.id, r.status])).toEqual([[`gid:${fault.gid}`, 'released']]);
    // (The plan shown is the one made after the release; the stop-zone relations may be frozen before it.)
    expect(plan.blockers).toEqual([]);
    // The only table in the stop zone goes first; no autovacuum worker can start before it is done.
    expect(result.frozen.map((f) => f.relation.relation)).toContain('"public"."aged_01"');
    expect(result.failed).toEqual([]);
    expect(result.leftStopZoneAt).toBeGreaterThan(0);
    expect(result.targetReached).toBe(true);
    expect(code).toBe(0);
    // Every aged table is frozen (by this run, or by the emergency autovacuum worker that the first advance of
    // datfrozenxid wakes), the ones with empty tails included.
    for (const t of fault.tables) {
      const name = `"public"."${t.table.slice(7)}"`;
      const ours = result.frozen.some((f) => f.relation.relation === name);
      // Skipped at its turn, or not started because every database was under the target first.
      const theirs = result.skipped.some((f) => f.relation.relation === name && /already under the target/.test(f.reason));
      const notNeeded = result.notStarted.some((r) => r.relation === name);
      expect(ours || theirs || notNeeded, t.table).toBe(true);
      expect(await tableAge(cluster, t.table, fault.database)).toBeLessThan(100_000);
    }
    // (Pages kept by TRUNCATE false are shown by the run in the stop zone above: autovacuum, once the zone is
    // left, may truncate them afterwards.)
    for (const f of result.frozen) expect(f.relation.sql).toMatch(/^VACUUM \(FREEZE, TRUNCATE false\) /);
    expect(await tryWrite(cluster, fault.database, `INSERT INTO public.aged_01 VALUES (-1, 'after the rescue')`)).toBeUndefined();
  });
});
