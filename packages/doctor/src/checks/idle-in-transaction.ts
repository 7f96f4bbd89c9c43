import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { countText, pinText, pinningSessions, severityFor } from '../engine/session-finding.js';
import { formatDuration } from '../report/format.js';
import { quoteIdent } from '@mvcc-doctor/pg/quote';

export default defineCheck({
  id: 'idle-in-transaction',
  meta: {
    title: 'Idle in transaction, pinning the horizon',
    area: 'horizon',
    why: 'A session that opened a transaction and went idle keeps its XID or snapshot alive, so VACUUM can neither remove rows deleted since nor freeze past it. It is the commonest cause of bloat and of blocked freezing, usually a leaked transaction in the application.',
    description: 'Reports sessions idle in transaction that hold an XID or a snapshot (a session with neither pins nothing), with how long they have been idle and the tables whose dead tuples they keep.',
    severities: { critical: 'idle 12x the threshold and at least ten minutes', warning: 'idle past the threshold, or shown to keep dead tuples' },
    thresholds: ['idleInTransactionSeconds'],
    remediation: 'Terminate the session (its transaction rolls back) and set idle_in_transaction_session_timeout so the next leak ends itself; fix the leak in the code the finding names.',
  },
  uses: ['activity'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const { session, finding, keptTables } of pinningSessions(snapshot, (s) => s.state?.startsWith('idle in transaction') ?? false)) {
      const idle = session.state_seconds ?? 0;
      const severity = severityFor(idle, thresholds.idleInTransactionSeconds, keptTables);
      if (!severity) continue;
      findings.push({
        ...finding,
        severity,
        summary: `Session pid ${session.pid}${session.application_name ? ` (${session.application_name})` : ''} has been idle in transaction for ${formatDuration(idle)} and ${pinText(session)}${keptTables ? `, keeping dead tuples in ${countText(keptTables, 'table')}` : ''}.`,
        remediation: [
          ...finding.remediation,
          `ALTER DATABASE ${quoteIdent(session.datname ?? 'postgres')} SET idle_in_transaction_session_timeout = '5min';  -- so the next leak ends itself`,
        ],
      });
    }
    return findings;
  },
});
