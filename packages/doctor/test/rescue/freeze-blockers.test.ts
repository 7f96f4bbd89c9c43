import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeCommand } from '../../src/cli/freeze-command.js';
import type { CommandIO } from '../../src/cli/io.js';
import { Cluster } from '@mvcc-doctor/lab';
import type { ReleaseResult } from '../../src/rescue/blocker-release.js';
import type { FreezePlan } from '../../src/rescue/freeze-plan.js';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli } from './helpers.js';

type RunJson = { plan: FreezePlan; release?: ReleaseResult[]; result: FreezeRunResult };
const SLOT = 'freeze_test_slot';
const TARGET = '5';

describe('freeze: blockers are released only with --release-blockers and a confirmation, and only those of the plan (PostgreSQL 18)', () => {
  let cluster: Cluster;
  let writer: pg.Client;
  let locker: pg.Client;
  let writerPid: number;
  let lockerPid: number;
  let url: string;

  beforeAll(async () => {
    cluster = await Cluster.create({ major: 18, autovacuum: false, label: 'freeze-blockers' });
    url = cluster.connectionString();
    await cluster.sql('CREATE TABLE t_locked (id int); INSERT INTO t_locked VALUES (1)');
    await cluster.sql('CREATE TABLE t_free (id int); INSERT INTO t_free VALUES (1)');
    // An abandoned logical slot: its catalog_xmin holds the catalogs of every database.
    await cluster.sql(`SELECT pg_create_logical_replication_slot('${SLOT}', 'test_decoding')`);
    // A session that wrote and went idle in its transaction: it pins the horizon with its XID.
    writer = await cluster.connect('postgres', 'app-writer');
    await writer.query('BEGIN');
    writerPid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, txid_current()')).rows[0]!.pid;
    // A session that only locks a table: no XID, no snapshot, so it does not pin the horizon.
    locker = await cluster.connect('postgres', 'app-locker');
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t_locked IN SHARE UPDATE EXCLUSIVE MODE');
    lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    for (let i = 0; i < 20; i++) await cluster.sql('SELECT txid_current()');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('plan: the session and the slot hold the horizon, the lock-only session is named and would not be ended', async () => {
    const { rows } = await cluster.sql('SELECT backend_xid, backend_xmin FROM pg_stat_activity WHERE pid = $1', [lockerPid]);
    expect(rows[0]).toEqual({ backend_xid: null, backend_xmin: null });
    const { code, out } = await cli(['freeze', 'plan', url, '--target-age', TARGET, '--json']);
    expect(code).toBe(2);
    const plan = JSON.parse(out) as FreezePlan;
    const byId = new Map(plan.blockers.map((b) => [b.id, b]));
    expect(byId.get(`pid:${writerPid}`)).toMatchObject({ kind: 'session', action: 'terminate', steps: [`SELECT pg_terminate_backend(${writerPid});  -- ends the session; its transaction rolls back`] });
    expect(byId.get(`slot:${SLOT}`)).toMatchObject({ kind: 'replication-slot', action: 'drop-slot' });
    expect(byId.get(`pid:${lockerPid}`)).toMatchObject({ kind: 'session', action: 'none' });
    expect(byId.get(`pid:${lockerPid}`)!.why[0]).toBe('holds ShareUpdateExclusiveLock on "public"."t_locked" in "postgres": its VACUUM cannot start until that is gone');
    expect(plan.order.find((r) => r.name === 't_locked')?.lockedBy).toContain(`session pid ${lockerPid}`);
    expect(plan.databases.find((d) => d.name === 'postgres')).toMatchObject({ reachesTarget: false });
  });

  it('off a terminal, --release-blockers without --yes releases nothing; a "no" at the prompt neither', async () => {
    const refused = await cli(['freeze', 'run', url, '--target-age', TARGET, '--release-blockers']);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('--release-blockers asks for confirmation; not on a terminal, add --yes');
    let asked = '';
    let err = '';
    const io: CommandIO = { out: () => {}, err: (t) => void (err += t), env: {}, color: false, interactive: true };
    const code = await freezeCommand(['run', url, '--target-age', TARGET, '--release-blockers'], io, {
      confirm: async (question) => {
        asked = question;
        return false;
      },
    });
    expect(code).toBe(2);
    expect(asked, asked).toMatch(/^Release 2 blocker\(s\): .*\? \[y\/N\] $/);
    expect(asked).toContain(`session pid ${writerPid}`);
    expect(asked).toContain(`replication slot "${SLOT}"`);
    expect(asked).not.toContain(`pid ${lockerPid}`);
    expect(err).toContain('blockers not released; nothing else was run');
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [writerPid])).rows).toHaveLength(1);
    expect((await cluster.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [SLOT])).rows).toHaveLength(1);
  });

  it('--release-blockers --yes ends the pinning session and drops the slot, leaves the lock-only session alone; its table fails alone', async () => {
    const { code, out } = await cli(['freeze', 'run', url, '--target-age', TARGET, '--release-blockers', '--yes', '--json', '--lock-timeout', '200ms']);
    const { release, result } = JSON.parse(out) as RunJson;
    expect(Object.fromEntries(release!.map((r) => [r.blocker.id, r.status]))).toEqual({ [`pid:${writerPid}`]: 'released', [`slot:${SLOT}`]: 'released', [`pid:${lockerPid}`]: 'named' });
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [writerPid])).rows).toHaveLength(0);
    expect((await cluster.sql('SELECT 1 FROM pg_replication_slots')).rows).toHaveLength(0);
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [lockerPid])).rows).toHaveLength(1);
    expect(result.failed.map((f) => [f.relation.name, f.code, f.attempts])).toEqual([['t_locked', '55P03', 2]]);
    expect(result.frozen.map((f) => f.relation.name)).toContain('t_free');
    expect(result.targetReached).toBe(false);
    expect(code).toBe(2);
  });

  it('a second run, once the lock is gone, continues with what is left and reaches the target', async () => {
    await locker.query('ROLLBACK');
    const { code, out } = await cli(['freeze', 'run', url, '--target-age', TARGET, '--json']);
    const { plan, result } = JSON.parse(out) as RunJson;
    expect(plan.blockers).toEqual([]);
    expect(plan.order.map((r) => r.name)).toContain('t_locked');
    expect(result.frozen.map((f) => f.relation.name)).toContain('t_locked');
    expect(result.targetReached).toBe(true);
    expect(code).toBe(0);
  });
});
