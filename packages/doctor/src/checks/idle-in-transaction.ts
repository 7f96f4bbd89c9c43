import type { ActivityRow } from '../collect/rows.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { originOf } from '../engine/origin.js';
import { countText, pinText, pinningSessions, sessionEvidence, severityFor } from '../engine/session-finding.js';
import { heldLocks, isIndex, type HeldLock } from '../mvcc/lock-conflicts.js';
import { formatDuration } from '../report/format.js';
import { quoteIdent } from '@mvcc-doctor/pg/quote';

const idle = (s: ActivityRow): boolean => s.state?.startsWith('idle in transaction') ?? false;

export default defineCheck({
  id: 'idle-in-transaction',
  meta: {
    title: 'Idle in transaction: pinning the horizon or holding locks',
    area: 'horizon',
    why: 'A session that opened a transaction and went idle keeps its XID or snapshot alive, so VACUUM can neither remove rows deleted since nor freeze past it; and it keeps every lock it took until it ends, so the next ALTER TABLE, TRUNCATE or VACUUM FULL on those tables waits and all later queries queue behind it. It is usually a leaked transaction in the application.',
    description:
      'Reports sessions idle in transaction that hold an XID or a snapshot (they pin the horizon: with how long they have been idle and the tables whose dead tuples they keep), and those that pin nothing but hold relation locks, such as the AccessShareLock a leaked read-only transaction keeps (with the locks and the statements that would wait on them). A session holding none of these is not reported.',
    severities: { critical: 'idle 12x the threshold and at least ten minutes', warning: 'idle past the threshold, or shown to keep dead tuples' },
    thresholds: ['idleInTransactionSeconds'],
    remediation: 'Terminate the session (its transaction rolls back and its locks go) and set idle_in_transaction_session_timeout so the next leak ends itself; fix the leak in the code the finding names.',
  },
  uses: ['activity'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    const pinning = new Set<number>();
    for (const { session, finding, keptTables } of pinningSessions(snapshot, idle)) {
      pinning.add(session.pid);
      const idleSeconds = session.state_seconds ?? 0;
      const severity = severityFor(idleSeconds, thresholds.idleInTransactionSeconds, keptTables);
      if (!severity) continue;
      const locks = heldLocks(snapshot, session.pid, session.datname);
      const [sessionEvidence, ...kept] = finding.evidence;
      findings.push({
        ...finding,
        severity,
        summary: `Session pid ${session.pid}${session.application_name ? ` (${session.application_name})` : ''} has been idle in transaction for ${formatDuration(idleSeconds)} and ${pinText(session)}${keptTables ? `, keeping dead tuples in ${countText(keptTables, 'table')}` : ''}.`,
        evidence: [{ ...sessionEvidence, ...(locks.length ? { holds: locks } : {}) }, ...kept],
        remediation: [...finding.remediation, timeoutStep(session)],
      });
    }
    for (const session of snapshot.activity ?? []) {
      if (!idle(session) || pinning.has(session.pid)) continue;
      const locks = heldLocks(snapshot, session.pid, session.datname);
      if (locks.length === 0) continue;
      const idleSeconds = session.state_seconds ?? 0;
      const severity = severityFor(idleSeconds, thresholds.idleInTransactionSeconds, 0);
      if (!severity) continue;
      findings.push(lockHolder(session, locks, idleSeconds, severity));
    }
    return findings;
  },
});

/** A session that pins nothing but holds relation locks: what it holds and what would wait on it. */
function lockHolder(session: ActivityRow, locks: HeldLock[], idleSeconds: number, severity: FindingDraft['severity']): FindingDraft {
  const tables = locks.filter((l) => !isIndex(l));
  const shown = (tables.length ? tables : locks).slice(0, 3);
  const more = (tables.length ? tables : locks).length - shown.length;
  const held = `${shown.map((l) => `${l.mode} on ${l.relation}`).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const blocked = [...new Set(shown.flatMap((l) => l.blocks))];
  const finding: FindingDraft = {
    severity,
    subject: { database: session.datname ?? undefined, pid: session.pid },
    summary:
      `Session pid ${session.pid}${session.application_name ? ` (${session.application_name})` : ''} has been idle in transaction for ${formatDuration(idleSeconds)} holding ${held}: ` +
      `${blocked.slice(0, 6).join(', ')}${blocked.length > 6 ? ', …' : ''} would wait for it, and every later query on ${shown.length === 1 ? 'the table' : 'those tables'} would queue behind that. It does not pin the horizon.`,
    evidence: [
      {
        ...sessionEvidence(session),
        transaction_age: formatDuration(session.xact_seconds ?? 0),
        idle_for: formatDuration(idleSeconds),
        last_query: session.query,
        holds: locks,
      },
    ],
    remediation: [
      `SELECT pg_terminate_backend(${session.pid});  -- ends the session; its transaction rolls back and its locks go`,
      timeoutStep(session),
      "-- run DDL with SET lock_timeout = '2s' and retry, so it never queues traffic behind a leaked transaction",
    ],
  };
  const origin = originOf(session);
  if (origin) finding.origin = origin;
  return finding;
}

function timeoutStep(session: ActivityRow): string {
  return `ALTER DATABASE ${quoteIdent(session.datname ?? 'postgres')} SET idle_in_transaction_session_timeout = '5min';  -- so the next leak ends itself`;
}
