import { describe, expect, it } from 'vitest';
import type { ActivityRow, LockRow } from '../../src/collect/rows.js';
import type { Snapshot } from '../../src/collect/snapshot.js';
import lockBlocking from '../../src/checks/lock-blocking.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';

function session(pid: number, blockedBy: number[], fields: Partial<ActivityRow> = {}): ActivityRow {
  return {
    pid,
    datname: 'app',
    usename: 'app',
    application_name: `app-${pid}`,
    client_addr: '10.0.0.1',
    backend_type: 'client backend',
    state: blockedBy.length ? 'active' : 'idle in transaction',
    backend_xid: null,
    backend_xmin: null,
    xid_age: null,
    xmin_age: null,
    xact_seconds: 100,
    query_seconds: 10,
    state_seconds: 10,
    wait_event_type: blockedBy.length ? 'Lock' : null,
    wait_event: blockedBy.length ? 'relation' : null,
    query: blockedBy.length ? 'SELECT * FROM orders' : 'SELECT 1',
    blocked_by: blockedBy,
    ...fields,
  };
}

function snapshot(activity: ActivityRow[], locks: LockRow[] = []): Snapshot {
  const server = { version_num: 180000, version: '18.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1000', at: 1_700_000_000 };
  return { server, activity, tables: {}, locks: { app: locks }, skipped: [] };
}

const evaluate = (s: Snapshot, lockWaitSeconds = DEFAULT_THRESHOLDS.lockWaitSeconds) => lockBlocking.evaluate(s, { thresholds: { ...DEFAULT_THRESHOLDS, lockWaitSeconds } });

describe('lock-blocking on row fixtures', () => {
  it('walks a chain to its root: readers behind a DDL behind an idle holder form one tree', () => {
    const findings = evaluate(
      snapshot(
        [session(1, []), session(2, [1], { query: 'ALTER TABLE orders ADD COLUMN x int', state_seconds: 1 }), session(3, [2], { state_seconds: 1 }), session(4, [2], { state_seconds: 1 })],
        [
          { pid: 1, locktype: 'relation', mode: 'AccessShareLock', granted: true, relation: 'public.orders', relid: null, transactionid: null },
          { pid: 2, locktype: 'relation', mode: 'AccessExclusiveLock', granted: false, relation: 'public.orders', relid: null, transactionid: null },
        ],
      ),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', subject: { database: 'app', pid: 1 } });
    expect(findings[0]!.evidence.map((e) => [e.role, e.pid])).toEqual([
      ['root blocker', 1],
      ['waiting DDL', 2],
      ['waiting', 3],
      ['waiting', 4],
    ]);
    expect(findings[0]!.evidence[0]!.holds).toEqual(['AccessShareLock on public.orders']);
    expect(findings[0]!.evidence[1]!.wants).toBe('AccessExclusiveLock on public.orders');
  });

  it('a prepared transaction is pid 0: the root has no session, and the fix points at ROLLBACK PREPARED', () => {
    const findings = evaluate(snapshot([session(7, [0], { state_seconds: 30 }), session(8, [7], { state_seconds: 20 })]));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.subject).toEqual({ database: 'app', pid: undefined });
    expect(findings[0]!.summary).toBe('2 session(s) are blocked by a prepared transaction, the longest for 30s.');
    expect(findings[0]!.evidence[0]).toEqual({ role: 'root blocker', pid: 0 });
    expect(findings[0]!.remediation).toEqual(['-- the root is a prepared transaction: see prepared-transaction for its ROLLBACK PREPARED']);
  });

  it('a cycle (a deadlock not yet detected) ends the walk instead of looping', () => {
    const findings = evaluate(snapshot([session(1, [2], { state_seconds: 9 }), session(2, [1], { state_seconds: 9 })]));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.subject.pid).toBe(1);
    expect(findings[0]!.evidence.filter((e) => e.role === 'waiting').map((e) => e.pid).sort()).toEqual([1, 2]);
    // A session queued behind the cycle joins the same tree, even with a lower pid than the cycle's.
    const tail = evaluate(snapshot([session(1, [5], { state_seconds: 9 }), session(5, [6], { state_seconds: 9 }), session(6, [5], { state_seconds: 9 })]));
    expect(tail.map((f) => f.subject.pid)).toEqual([5]);
    expect(tail[0]!.evidence.filter((e) => e.role === 'waiting').map((e) => e.pid).sort()).toEqual([1, 5, 6]);
  });

  it('separate roots are separate findings; short waits without a DDL queue stay quiet', () => {
    const activity = [session(1, []), session(2, [1], { state_seconds: 6 }), session(3, []), session(4, [3], { state_seconds: 1 })];
    expect(evaluate(snapshot(activity)).map((f) => f.subject.pid)).toEqual([1]);
    expect(evaluate(snapshot(activity), 0).map((f) => f.subject.pid)).toEqual([1, 3]);
    expect(evaluate(snapshot([session(1, []), session(2, [])]), 0)).toEqual([]);
  });

  it('severity: warning for a short tree; critical from five waiters or a minute', () => {
    const waiters = (n: number, seconds: number) => Array.from({ length: n }, (_, i) => session(10 + i, [1], { state_seconds: seconds }));
    expect(evaluate(snapshot([session(1, []), ...waiters(2, 10)]))[0]!.severity).toBe('warning');
    expect(evaluate(snapshot([session(1, []), ...waiters(5, 10)]))[0]!.severity).toBe('critical');
    expect(evaluate(snapshot([session(1, []), ...waiters(1, 60)]))[0]!.severity).toBe('critical');
  });
});
