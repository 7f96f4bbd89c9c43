import type { ActivityRow, LockRow } from '../collect/rows.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { originOf } from '../engine/origin.js';
import { formatDuration } from '../report/format.js';

const DDL = /^\s*(?:\/\*.*?\*\/\s*)*(ALTER|DROP|TRUNCATE|REINDEX|CLUSTER|VACUUM\s+FULL|VACUUM\s*\(\s*FULL|LOCK|CREATE\s+(?:UNIQUE\s+)?INDEX(?!\s+CONCURRENTLY))\b/i;

export default defineCheck({
  id: 'lock-blocking',
  meta: {
    title: 'Blocked sessions and lock queues',
    area: 'locks',
    why: 'Locks are granted in queue order: once a DDL statement waits for an ACCESS EXCLUSIVE lock, every later reader queues behind it, so one idle transaction plus one ALTER TABLE stops all traffic on the table.',
    description: 'Builds blocking trees from pg_blocking_pids() and walks each to its root blocker; a DDL statement with sessions queued behind it is always reported.',
    severities: { critical: 'sessions queued behind waiting DDL, five or more waiters, or a wait of a minute', warning: 'a wait past the threshold' },
    thresholds: ['lockWaitSeconds'],
    remediation: 'Cancel the waiting DDL first (the queue behind it drains), end the root blocker if it is stuck, and run DDL with a lock_timeout.',
  },
  uses: ['activity'],
  evaluate(snapshot, { thresholds }) {
    const activity = snapshot.activity ?? [];
    const byPid = new Map(activity.map((a) => [a.pid, a]));
    const locks = Object.values(snapshot.locks).flat();
    const trees = new Map<number, ActivityRow[]>();
    for (const waiter of activity.filter((a) => a.blocked_by.length > 0)) {
      const root = rootOf(waiter.pid, byPid);
      trees.set(root, [...(trees.get(root) ?? []), waiter]);
    }
    const findings: FindingDraft[] = [];
    for (const [rootPid, waiters] of trees) {
      const longest = Math.max(...waiters.map((w) => w.state_seconds ?? 0));
      const ddl = waiters.filter((w) => DDL.test(w.query ?? ''));
      const queued = ddl.length > 0 && waiters.length > ddl.length;
      if (longest < thresholds.lockWaitSeconds && !queued) continue;
      const root = byPid.get(rootPid);
      const rootText = rootPid === 0 ? 'a prepared transaction' : `pid ${rootPid}${root ? ` (${root.state}${root.application_name ? `, ${root.application_name}` : ''})` : ''}`;
      const finding: FindingDraft = {
        severity: queued || waiters.length >= 5 || longest >= 60 ? 'critical' : 'warning',
        subject: { database: root?.datname ?? waiters[0]?.datname ?? undefined, pid: rootPid || undefined },
        summary: queued
          ? `${ddl.length} DDL statement(s) wait for a lock held by ${rootText}, and ${waiters.length - ddl.length} more session(s) are queued behind the DDL (longest wait ${formatDuration(longest)}).`
          : `${waiters.length} session(s) are blocked by ${rootText}, the longest for ${formatDuration(longest)}.`,
        evidence: [
          root ? { role: 'root blocker', pid: root.pid, state: root.state, application_name: root.application_name, transaction_age: formatDuration(root.xact_seconds ?? 0), query: root.query, holds: heldBy(root.pid, locks) } : { role: 'root blocker', pid: rootPid },
          ...waiters.map((w) => ({ role: DDL.test(w.query ?? '') ? 'waiting DDL' : 'waiting', pid: w.pid, blocked_by: w.blocked_by, waiting_for: formatDuration(w.state_seconds ?? 0), wants: wantedBy(w.pid, locks), query: w.query })),
        ],
        remediation: [
          ...(queued ? ddl.map((d) => `SELECT pg_cancel_backend(${d.pid});  -- cancel the waiting DDL first: the queue behind it drains at once`) : []),
          rootPid === 0 ? '-- the root is a prepared transaction: see prepared-transaction for its ROLLBACK PREPARED' : `SELECT pg_terminate_backend(${rootPid});  -- end the root blocker if it is stuck`,
          ...(queued ? ["-- run DDL with SET lock_timeout = '2s' and retry, so it never queues traffic behind it"] : []),
        ],
      };
      const origin = root ? originOf(root) : undefined;
      if (origin) finding.origin = origin;
      findings.push(finding);
    }
    return findings;
  },
});

/**
 * Follow blocked_by to a pid that nobody blocks (pid 0 is a prepared transaction). A cycle (a deadlock the
 * detector has not broken yet) has no such pid: its lowest pid stands for it, so every member finds the same root.
 */
function rootOf(pid: number, byPid: Map<number, ActivityRow>): number {
  const path: number[] = [];
  let current = pid;
  for (;;) {
    path.push(current);
    const blockers = byPid.get(current)?.blocked_by ?? [];
    const next = blockers.find((b) => !path.includes(b));
    if (next !== undefined) {
      current = next;
      continue;
    }
    if (blockers.length === 0) return current;
    return Math.min(...path.slice(path.indexOf(blockers[0]!)));
  }
}

function heldBy(pid: number, locks: LockRow[]): string[] {
  return locks.filter((l) => l.pid === pid && l.granted).map((l) => `${l.mode} on ${l.relation}`);
}

function wantedBy(pid: number, locks: LockRow[]): string | undefined {
  const l = locks.find((x) => x.pid === pid && !x.granted);
  return l ? `${l.mode} on ${l.relation ?? `${l.locktype} ${l.transactionid ?? ''}`.trim()}` : undefined;
}
