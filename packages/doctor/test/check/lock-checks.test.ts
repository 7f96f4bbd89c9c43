import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor, deadlocks, lockBlocking } from '@mvcc-doctor/lab';
import { check, findingsOf } from './run-check.js';

describe.each([18, 14])('lock checks on PostgreSQL %i', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `locks${major}` });
    await cluster.sql('CREATE DATABASE shop');
  });
  afterAll(() => cluster?.destroy());

  it('a healthy cluster: no lock-blocking or deadlocks finding, even at threshold 0', async () => {
    const report = await check(cluster, { thresholds: { lockWaitSeconds: 0 } });
    expect(findingsOf(report, 'lock-blocking')).toEqual([]);
    expect(findingsOf(report, 'deadlocks')).toEqual([]);
  });

  it('lock-blocking: the queue behind a waiting ALTER TABLE, rooted at the idle holder, critical at default thresholds', async () => {
    const fault = await lockBlocking(cluster, { readers: 3, applicationName: 'billing-worker' });
    try {
      const report = await check(cluster);
      const [finding, ...more] = findingsOf(report, 'lock-blocking');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'critical', subject: { database: 'postgres', pid: fault.holderPid } });
      expect(finding!.summary).toMatch(new RegExp(`^1 DDL statement\\(s\\) wait for a lock held by pid ${fault.holderPid} \\(idle in transaction, billing-worker\\), and 3 more session\\(s\\) are queued behind the DDL`));
      const relation = fault.table.replace(/"/g, '');
      expect(finding!.evidence[0]).toMatchObject({
        role: 'root blocker',
        pid: fault.holderPid,
        state: 'idle in transaction',
        application_name: 'billing-worker',
        holds: expect.arrayContaining([`AccessShareLock on ${relation}`]),
      });
      expect(finding!.evidence).toContainEqual(
        expect.objectContaining({ role: 'waiting DDL', pid: fault.alterPid, blocked_by: [fault.holderPid], wants: `AccessExclusiveLock on ${relation}`, query: fault.alterQuery }),
      );
      for (const pid of fault.readerPids) {
        expect(finding!.evidence).toContainEqual(
          expect.objectContaining({ role: 'waiting', pid, blocked_by: [fault.alterPid], wants: `AccessShareLock on ${relation}`, query: fault.readerQuery }),
        );
      }
      expect(finding!.remediation).toEqual([
        `SELECT pg_cancel_backend(${fault.alterPid});  -- cancel the waiting DDL first: the queue behind it drains at once`,
        `SELECT pg_terminate_backend(${fault.holderPid});  -- end the root blocker if it is stuck`,
        "-- run DDL with SET lock_timeout = '2s' and retry, so it never queues traffic behind it",
      ]);
      // The waiters are reported under their root, not one by one as long transactions.
      expect(findingsOf(await check(cluster, { thresholds: { longTransactionSeconds: 0 } }), 'long-transaction')).toEqual([]);
    } finally {
      await fault.release();
    }
    expect(findingsOf(await check(cluster, { thresholds: { lockWaitSeconds: 0 } }), 'lock-blocking')).toEqual([]);
  });

  it('deadlocks: counted per database, only where they happened', async () => {
    const fault = await deadlocks(cluster, { database: 'shop' });
    try {
      // PG 14 sends the counter to the statistics collector when the victim next goes idle: wait for it.
      await waitFor(async () => {
        if (major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()');
        const { rows } = await cluster.sql<{ n: number }>(`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = 'shop'`);
        return rows[0]!.n >= 1;
      }, 'the deadlock to be counted');
      const findings = findingsOf(await check(cluster), 'deadlocks');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'info', subject: { database: 'shop' } });
      expect(findings[0]!.summary).toBe('Database "shop" has had 1 deadlock(s) since its statistics were reset.');
      expect(findings[0]!.evidence[0]).toMatchObject({ database: 'shop', deadlocks: 1 });
    } finally {
      await fault.release();
    }
  });
});
