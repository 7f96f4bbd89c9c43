import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { corruptionScanCommand } from '../corruption/next-step.js';
import { formatCount } from '../report/format.js';

export default defineCheck({
  id: 'checksum-failures',
  meta: {
    title: 'Data checksum failures',
    area: 'integrity',
    why: 'A page whose checksum fails cannot be read, so VACUUM cannot freeze it: the table can never advance relfrozenxid, and the database ages toward wraparound. This is the bad-block cause of the wraparound incident.',
    description: 'Reads pg_stat_database.checksum_failures per database (clusters with data checksums): the counter moves on every failed read of a corrupt page.',
    severities: { critical: 'any checksum failure' },
    remediation:
      'Locate the bad blocks with `mvcc-doctor corruption scan -d DB` (SELECT privilege is enough, no transaction ID is used), restore them from a standby or backup, or copy out the rows that read with `mvcc-doctor corruption salvage`.',
  },
  uses: ['databases'],
  evaluate(snapshot) {
    const findings: FindingDraft[] = [];
    for (const db of snapshot.databases ?? []) {
      const count = db.checksum_failures ?? 0;
      if (count === 0) continue;
      findings.push({
        severity: 'critical',
        subject: { database: db.datname },
        summary: `Database "${db.datname}" has had ${formatCount(count)} checksum failure(s), the last at ${db.checksum_last_failure?.toISOString() ?? 'an unknown time'}: some pages are corrupt.`,
        evidence: [{ database: db.datname, checksum_failures: count, checksum_last_failure: db.checksum_last_failure?.toISOString() ?? null }],
        remediation: [
          `${corruptionScanCommand(db.datname)}  -- find every unreadable block and tuple, table by table (with only SELECT; no XID)`,
          '-- the server log names each bad block too: "invalid page in block N of relation …"',
          '-- restore those blocks from a standby or backup; else copy out the rows that read: mvcc-doctor corruption salvage plan --table T --into NEW (the scan prints the exact command)',
        ],
      });
    }
    return findings;
  },
});
