import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';

export default defineCheck({
  id: 'deadlocks',
  meta: {
    title: 'Deadlocks',
    area: 'locks',
    why: 'Two transactions that lock the same rows in opposite order wait for each other until deadlock_timeout, when PostgreSQL cancels one with SQLSTATE 40P01. The fix is a fixed lock order in the application and a retry of the victim.',
    description: 'Reads pg_stat_database.deadlocks per database, since its statistics were last reset.',
    severities: { warning: '100 deadlocks or more', info: 'at least one deadlock' },
    remediation: 'Find the queries in the server log, lock rows in one order in the application, and retry 40P01.',
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
