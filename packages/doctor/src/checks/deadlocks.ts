import { defineCheck } from './define-check.js';
import type { FindingDraft } from './finding.js';
import { formatCount } from './sql-text.js';

export default defineCheck({
  id: 'deadlocks',
  meta: {
    title: 'Deadlocks',
    area: 'locks',
    why: 'Two transactions that lock the same rows in opposite order wait for each other until deadlock_timeout, when PostgreSQL cancels one with SQLSTATE 40P01. The fix is a fixed lock order in the application and a retry of the victim.',
  },
  uses: ['databases'],
  evaluate(snapshot) {
    const findings: FindingDraft[] = [];
    for (const db of snapshot.databases ?? []) {
      const count = db.deadlocks ?? 0;
      if (count === 0) continue;
      findings.push({
        severity: count >= 100 ? 'warning' : 'info',
        subject: { database: db.datname },
        summary: `Database "${db.datname}" has had ${formatCount(count)} deadlock(s) since its statistics were reset.`,
        evidence: [{ database: db.datname, deadlocks: count, xact_commit: db.xact_commit, xact_rollback: db.xact_rollback }],
        remediation: [
          '-- the queries of each deadlock are only in the server log: mvcc-doctor logs <postgresql.log>',
          '-- in the application: lock rows in one order (ORDER BY key FOR UPDATE) and retry 40P01 (see @mvcc-doctor/pg)',
        ],
      });
    }
    return findings;
  },
});
