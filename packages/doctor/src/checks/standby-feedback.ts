import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';

export default defineCheck({
  id: 'standby-feedback',
  meta: {
    title: 'Standby feedback holding the primary back',
    area: 'horizon',
    why: "With hot_standby_feedback on, a standby reports the xmin of its oldest query and the primary keeps every row version that query might read. A long report on a replica thus bloats the primary.",
    description: 'Reads pg_stat_replication on the primary: a standby whose hot_standby_feedback xmin is past the threshold holds the primary\'s horizon for the whole cluster.',
    severities: { critical: '100M XIDs or more behind', warning: 'past the XID threshold' },
    thresholds: ['slotXids'],
    remediation: 'End the oldest query on the standby, or turn hot_standby_feedback off there and accept query cancellations.',
  },
  uses: ['standbys'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const st of snapshot.standbys ?? []) {
      if (!st.backend_xmin || (st.xmin_age ?? 0) < thresholds.slotXids) continue;
      findings.push({
        severity: (st.xmin_age ?? 0) >= 100_000_000 ? 'critical' : 'warning',
        subject: { standby: st.application_name || st.client_addr || String(st.pid) },
        summary: `Standby "${st.application_name}" (${st.client_addr ?? 'local'}) holds the primary's horizon ${formatCount(st.xmin_age ?? 0)} XIDs back through hot_standby_feedback.`,
        evidence: [{ ...st }],
        remediation: [
          `-- on the standby: find and end its oldest query (SELECT pid, xact_start, query FROM pg_stat_activity ORDER BY xact_start LIMIT 5)`,
          `-- or accept query cancellations there instead: ALTER SYSTEM SET hot_standby_feedback = off; SELECT pg_reload_conf();`,
        ],
      });
    }
    return findings;
  },
});
