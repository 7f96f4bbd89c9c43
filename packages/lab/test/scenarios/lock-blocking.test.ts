import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { waitFor } from '../../src/evidence.js';
import { lockBlocking } from '../../src/scenarios/lock-blocking.js';

describe.each([18, 14])('scenario: lock queue behind ALTER TABLE, PostgreSQL %i', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `lockq${major}` });
  });
  afterAll(() => cluster?.destroy());

  it('the holder is granted AccessShareLock, the ALTER waits for AccessExclusiveLock, readers wait behind the ALTER', async () => {
    const fault = await lockBlocking(cluster, { readers: 3, applicationName: 'orders-api' });
    try {
      expect(fault.readerPids).toHaveLength(3);
      const { rows: locks } = await cluster.sql<{ pid: number; mode: string; granted: boolean }>(
        `SELECT pid, mode, granted FROM pg_locks WHERE locktype = 'relation' AND relation = $1::regclass ORDER BY pid`,
        [fault.table],
      );
      expect(locks).toContainEqual({ pid: fault.holderPid, mode: 'AccessShareLock', granted: true });
      expect(locks).toContainEqual({ pid: fault.alterPid, mode: 'AccessExclusiveLock', granted: false });
      for (const pid of fault.readerPids) expect(locks).toContainEqual({ pid, mode: 'AccessShareLock', granted: false });
      expect(locks.filter((l) => l.granted).map((l) => l.pid)).toEqual([fault.holderPid]);

      const { rows: activity } = await cluster.sql<{ pid: number; state: string; app: string; wait: string | null; blockers: number[] }>(
        `SELECT pid, state, application_name AS app, wait_event_type || ':' || wait_event AS wait, pg_blocking_pids(pid) AS blockers
           FROM pg_stat_activity WHERE pid = ANY($1)`,
        [[fault.holderPid, fault.alterPid, ...fault.readerPids]],
      );
      const byPid = new Map(activity.map((a) => [a.pid, a]));
      expect(byPid.get(fault.holderPid)).toMatchObject({ state: 'idle in transaction', app: 'orders-api', blockers: [] });
      expect(byPid.get(fault.alterPid)).toMatchObject({ state: 'active', wait: 'Lock:relation', blockers: [fault.holderPid] });
      // The field-notes trap: a reader is blocked by the ALTER it queues behind, never directly by the holder.
      for (const pid of fault.readerPids) {
        expect(byPid.get(pid)).toMatchObject({ state: 'active', wait: 'Lock:relation', blockers: [fault.alterPid] });
      }
    } finally {
      await fault.release();
    }
  });

  it('log_lock_waits names only the holder as holding the lock, with the ALTER first in the wait queue', async () => {
    const fault = await lockBlocking(cluster, { readers: 2 });
    try {
      const { rows } = await cluster.sql<{ oid: number }>('SELECT $1::regclass::oid::int AS oid', [fault.table]);
      const relation = `relation ${rows[0]!.oid} of database`;
      const log = await waitFor(async () => {
        const text = cluster.readLog();
        return fault.readerPids.every((pid) => text.includes(`process ${pid} still waiting`)) ? text : '';
      }, 'the readers to be logged as waiting (deadlock_timeout 200ms)');
      expect(log).toMatch(
        new RegExp(`process ${fault.alterPid} still waiting for AccessExclusiveLock on ${relation} \\d+ after [\\d.]+ ms\\n` +
          `.*DETAIL: {2}Process holding the lock: ${fault.holderPid}\\. Wait queue: ${fault.alterPid}[,.]`),
      );
      for (const pid of fault.readerPids) {
        const line = new RegExp(`process ${pid} still waiting for AccessShareLock on ${relation} \\d+ after [\\d.]+ ms[^\\n]*\\n` +
          `.*DETAIL: {2}Process holding the lock: ${fault.holderPid}\\. Wait queue: ${fault.alterPid}, ([\\d, ]+)\\.`).exec(log);
        expect(line?.[1]?.split(', ').map(Number)).toContain(pid);
      }
    } finally {
      await fault.release();
    }
  });

  it('while the queue stands, any new reader is stuck too (lock_timeout 100ms gives 55P03)', async () => {
    const fault = await lockBlocking(cluster, { readers: 1 });
    const probe = await cluster.connect('postgres', 'lab-probe');
    try {
      await probe.query(`SET lock_timeout = '100ms'`);
      const error = await probe.query(fault.readerQuery).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '55P03' });
    } finally {
      await probe.end();
      await fault.release();
    }
  });

  it('healthy contrast: the same ALTER with lock_timeout gives up, and readers are not queued', async () => {
    await cluster.sql('CREATE TABLE lab_lockq_healthy (id int)');
    const holder = await cluster.connect('postgres', 'lab-holder');
    const migration = await cluster.connect('postgres', 'lab-migration');
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM lab_lockq_healthy');
      await migration.query(`SET lock_timeout = '100ms'`);
      const error = await migration.query('ALTER TABLE lab_lockq_healthy ADD COLUMN x int').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '55P03' });
      const { rows } = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM lab_lockq_healthy');
      expect(rows[0]?.n).toBe(0);
    } finally {
      await holder.end();
      await migration.end();
      await cluster.sql('DROP TABLE lab_lockq_healthy');
    }
  });

  it('release ends every session in order and drops the table', async () => {
    const fault = await lockBlocking(cluster);
    await fault.release();
    await fault.release(); // idempotent
    const pids = [fault.holderPid, fault.alterPid, ...fault.readerPids];
    const { rows } = await cluster.sql('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [pids]);
    expect(rows).toEqual([]);
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
    const { rows: locks } = await cluster.sql('SELECT pid FROM pg_locks WHERE pid = ANY($1)', [pids]);
    expect(locks).toEqual([]);
  });
});
