import { defineCheck } from './define-check.js';
import type { FindingDraft } from './finding.js';
import { countText, pinText, pinningSessions, severityFor } from './session-finding.js';
import { formatDuration, quoteIdent } from './sql-text.js';

export default defineCheck({
  id: 'idle-in-transaction',
  meta: {
    title: 'Idle in transaction, pinning the horizon',
    area: 'horizon',
    why: 'A session that opened a transaction and went idle keeps its XID or snapshot alive, so VACUUM can neither remove rows deleted since nor freeze past it. It is the commonest cause of bloat and of blocked freezing, usually a leaked transaction in the application.',
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
