import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { countText, pinText, pinningSessions, severityFor } from '../engine/session-finding.js';
import { formatDuration } from '../report/format.js';

export default defineCheck({
  id: 'long-transaction',
  meta: {
    title: 'Long-running transaction, pinning the horizon',
    area: 'horizon',
    why: 'A long statement or transaction keeps the snapshot it started with, so every row version deleted since must stay on disk. Tables churned meanwhile bloat, and freezing cannot pass its xmin.',
    description: 'Reports transactions (active or idle, not waiting on a lock) that pin the horizon, with their age and the tables whose dead tuples they keep.',
    severities: { critical: '12x the threshold and at least ten minutes old', warning: 'past the threshold, or shown to keep dead tuples' },
    thresholds: ['longTransactionSeconds'],
    remediation: 'Cancel the statement, terminate the session if that is not enough, and bound such work with statement_timeout (transaction_timeout on 17+).',
  },
  // Sessions waiting on a lock are reported by lock-blocking, under their root blocker.
  uses: ['activity'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const { session, finding, keptTables } of pinningSessions(snapshot, (s) => !(s.state?.startsWith('idle in transaction') ?? false) && s.blocked_by.length === 0)) {
      const age = session.xact_seconds ?? 0;
      const severity = severityFor(age, thresholds.longTransactionSeconds, keptTables);
      if (!severity) continue;
      const running = session.state === 'active' ? `, running for ${formatDuration(session.query_seconds ?? 0)}` : '';
      findings.push({
        ...finding,
        severity,
        summary: `Transaction of pid ${session.pid}${session.application_name ? ` (${session.application_name})` : ''} is ${formatDuration(age)} old${running} and ${pinText(session)}${keptTables ? `, keeping dead tuples in ${countText(keptTables, 'table')}` : ''}.`,
        remediation: [...finding.remediation, `-- bound it next time: SET statement_timeout (and transaction_timeout on 17+) for that role or application`],
      });
    }
    return findings;
  },
});
