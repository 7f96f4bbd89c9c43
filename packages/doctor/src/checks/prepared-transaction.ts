import { defineCheck } from './define-check.js';
import type { FindingDraft } from './finding.js';
import { horizonHolders, releaseSteps } from './horizon-holders.js';
import { keptEvidence, tablesKeptBy } from './kept-dead-tuples.js';
import { formatCount, formatDuration } from './sql-text.js';

export default defineCheck({
  id: 'prepared-transaction',
  meta: {
    title: 'Orphaned prepared transaction',
    area: 'horizon',
    why: 'A prepared (two-phase) transaction outlives its session and even a restart: its locks and its XID stay until someone runs COMMIT or ROLLBACK PREPARED. It blocks freezing in its database, and the locks it holds can stall DDL and VACUUM.',
  },
  uses: ['prepared'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const holder of horizonHolders(snapshot).filter((h) => h.kind === 'prepared-transaction')) {
      const p = holder.prepared!;
      if (p.seconds < thresholds.preparedTransactionSeconds) continue;
      const kept = tablesKeptBy(holder, snapshot);
      const critical = p.seconds >= 3600 || p.xid_age >= 100_000_000;
      const locks = p.locks.map((l) => `${l.mode}${l.relation ? ` on ${l.relation}` : ''}`);
      findings.push({
        severity: critical ? 'critical' : 'warning',
        subject: { database: p.database, gid: p.gid },
        summary: `Prepared transaction '${p.gid}' (owner ${p.owner}, database "${p.database}") has waited ${formatDuration(p.seconds)} for COMMIT/ROLLBACK PREPARED, holding XID ${p.xid} (${formatCount(p.xid_age)} XIDs back)${locks.length ? ` and ${locks.length} lock(s)` : ''}.`,
        evidence: [
          { gid: p.gid, database: p.database, owner: p.owner, xid: p.xid, xids_behind: p.xid_age, prepared_at: p.prepared.toISOString(), waiting_for: formatDuration(p.seconds) },
          ...p.locks.map((l) => ({ lock: l.mode, locktype: l.locktype, relation: l.relation && l.same_database === false ? `OID ${l.relation} in "${p.database}"` : l.relation })),
          ...keptEvidence(kept),
        ],
        remediation: [
          `-- ask the transaction manager (the app or XA coordinator) whether '${p.gid}' committed; if it did, COMMIT PREPARED instead`,
          ...releaseSteps(holder),
        ],
      });
    }
    return findings;
  },
});
