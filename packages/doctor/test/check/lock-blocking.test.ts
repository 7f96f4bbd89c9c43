import { lockBlocking as lockBlockingScenario } from '@mvcc-doctor/lab';
import { describe, expect, it } from 'vitest';
import type { ActivityRow } from '../../src/collect/rows.js';
import type { Snapshot } from '../../src/collect/snapshot.js';
import lockBlocking from '../../src/checks/lock-blocking.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, eachMajor, findingsOf } from './run-check.js';
import { lock, session, snapshot } from './row-fixtures.js';

/** A session blocked by `blockedBy` (waiting on a relation lock), or, with nobody blocking it, an idle holder. */
function waiter(pid: number, blockedBy: number[], fields: Partial<ActivityRow> = {}): ActivityRow {
  const waiting = blockedBy.length > 0;
  return session(pid, {
    state: waiting ? 'active' : 'idle in transaction',
    xact_seconds: 100,
    query_seconds: 10,
    state_seconds: 10,
    wait_event_type: waiting ? 'Lock' : null,
    wait_event: waiting ? 'relation' : null,
    query: waiting ? 'SELECT * FROM orders' : 'SELECT 1',
    blocked_by: blockedBy,
    ...fields,
  });
}

const blocked = (activity: ActivityRow[]): Snapshot => snapshot({ activity });
const evaluate = (s: Snapshot, lockWaitSeconds = DEFAULT_THRESHOLDS.lockWaitSeconds) => lockBlocking.evaluate(s, { thresholds: { ...DEFAULT_THRESHOLDS, lockWaitSeconds } });

testCheck(lockBlocking, {
  evaluate: {
    faulty: [
      {
        name: 'walks a chain to its root: readers behind a DDL behind an idle holder form one tree',
        snapshot: snapshot({
          activity: [waiter(1, []), waiter(2, [1], { query: 'ALTER TABLE orders ADD COLUMN x int', state_seconds: 1 }), waiter(3, [2], { state_seconds: 1 }), waiter(4, [2], { state_seconds: 1 })],
          locks: { app: [lock(1, { relid: null }), lock(2, { mode: 'AccessExclusiveLock', granted: false, relid: null })] },
        }),
        findings: [{ severity: 'critical', subject: { database: 'app', pid: 1 } }],
        verify: (findings) => {
          expect(findings[0]!.evidence.map((e) => [e.role, e.pid])).toEqual([
            ['root blocker', 1],
            ['waiting DDL', 2],
            ['waiting', 3],
            ['waiting', 4],
          ]);
          expect(findings[0]!.evidence[0]!.holds).toEqual(['AccessShareLock on public.orders']);
          expect(findings[0]!.evidence[1]!.wants).toBe('AccessExclusiveLock on public.orders');
        },
      },
      {
        name: 'a prepared transaction is pid 0: the root has no session, and the fix points at ROLLBACK PREPARED',
        snapshot: blocked([waiter(7, [0], { state_seconds: 30 }), waiter(8, [7], { state_seconds: 20 })]),
        findings: [{ summary: '2 session(s) are blocked by a prepared transaction, the longest for 30s.' }],
        verify: (findings) => {
          expect(findings[0]!.subject).toEqual({ database: 'app', pid: undefined });
          expect(findings[0]!.evidence[0]).toEqual({ role: 'root blocker', pid: 0 });
          expect(findings[0]!.remediation).toEqual(['-- the root is a prepared transaction: see prepared-transaction for its ROLLBACK PREPARED']);
        },
      },
    ],
    healthy: [
      // Below the 5 s threshold and no DDL with a queue behind it: a lock wait that short is normal traffic.
      { name: 'a short wait without a DDL queue stays quiet', snapshot: blocked([waiter(3, []), waiter(4, [3], { state_seconds: 1 })]) },
      { name: 'sessions that nobody blocks', snapshot: blocked([waiter(1, []), waiter(2, [])]), thresholds: { lockWaitSeconds: 0 } },
    ],
  },
  cluster: eachMajor([18, 14], 'locks').map((s) =>
    suite({
      ...s,
      healthy: {
        'a healthy cluster: no lock-blocking finding, even at threshold 0': (cluster) => check(cluster, { thresholds: { lockWaitSeconds: 0 } }),
      },
      faulty: {
        'the queue behind a waiting ALTER TABLE, rooted at the idle holder, critical at default thresholds': async (cluster) => {
          const fault = await lockBlockingScenario(cluster, { readers: 3, applicationName: 'billing-worker' });
          let proof: Report;
          try {
            const report = await check(cluster);
            proof = report;
            const [finding, ...more] = findingsOf(report, 'lock-blocking');
            expect(more).toEqual([]);
            expect(finding).toMatchObject({ severity: 'critical', subject: { database: 'postgres', pid: fault.holderPid } });
            expect(finding!.summary).toMatch(
              new RegExp(`^1 DDL statement\\(s\\) wait for a lock held by pid ${fault.holderPid} \\(idle in transaction, billing-worker\\), and 3 more session\\(s\\) are queued behind the DDL`),
            );
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
          return proof!;
        },
      },
    }),
  ),
});

describe('lock-blocking on row fixtures', () => {
  it('a cycle (a deadlock not yet detected) ends the walk instead of looping', () => {
    const findings = evaluate(blocked([waiter(1, [2], { state_seconds: 9 }), waiter(2, [1], { state_seconds: 9 })]));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.subject.pid).toBe(1);
    expect(findings[0]!.evidence.filter((e) => e.role === 'waiting').map((e) => e.pid).sort()).toEqual([1, 2]);
    // A session queued behind the cycle joins the same tree, even with a lower pid than the cycle's.
    const tail = evaluate(blocked([waiter(1, [5], { state_seconds: 9 }), waiter(5, [6], { state_seconds: 9 }), waiter(6, [5], { state_seconds: 9 })]));
    expect(tail.map((f) => f.subject.pid)).toEqual([5]);
    expect(tail[0]!.evidence.filter((e) => e.role === 'waiting').map((e) => e.pid).sort()).toEqual([1, 5, 6]);
  });

  it('separate roots are separate findings; short waits without a DDL queue stay quiet', () => {
    const activity = [waiter(1, []), waiter(2, [1], { state_seconds: 6 }), waiter(3, []), waiter(4, [3], { state_seconds: 1 })];
    expect(evaluate(blocked(activity)).map((f) => f.subject.pid)).toEqual([1]);
    expect(evaluate(blocked(activity), 0).map((f) => f.subject.pid)).toEqual([1, 3]);
    expect(evaluate(blocked([waiter(1, []), waiter(2, [])]), 0)).toEqual([]);
  });

  it('severity: warning for a short tree; critical from five waiters or a minute', () => {
    const waiters = (n: number, seconds: number) => Array.from({ length: n }, (_, i) => waiter(10 + i, [1], { state_seconds: seconds }));
    expect(evaluate(blocked([waiter(1, []), ...waiters(2, 10)]))[0]!.severity).toBe('warning');
    expect(evaluate(blocked([waiter(1, []), ...waiters(5, 10)]))[0]!.severity).toBe('critical');
    expect(evaluate(blocked([waiter(1, []), ...waiters(1, 60)]))[0]!.severity).toBe('critical');
  });
});
