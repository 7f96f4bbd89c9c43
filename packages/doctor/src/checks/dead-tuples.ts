import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { capsRelation } from '../mvcc/horizon-caps.js';
import { describeHolder, horizonHolders } from '../mvcc/horizon-holders.js';
import { tablesKeptBy } from '../mvcc/kept-dead-tuples.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';

export default defineCheck({
  id: 'dead-tuples',
  meta: {
    title: 'Dead tuples (MVCC version-chain bloat)',
    area: 'vacuum',
    why: 'Every UPDATE and DELETE leaves the old row version behind until VACUUM removes it, and only once no snapshot can see it. Until then scans read through the dead versions and the table and its indexes grow.',
    description: 'Reports tables with at least the threshold of dead tuples (n_dead_tup), and whether a horizon holder keeps them or VACUUM can remove them now.',
    severities: { warning: 'half the rows or more are dead, or a horizon holder keeps them', info: 'past the threshold and removable now' },
    thresholds: ['deadTuples'],
    remediation: 'Release the holder first when there is one (see xmin-horizon), then VACUUM (VERBOSE) the table.',
  },
  uses: ['tables'],
  evaluate(snapshot, { thresholds }) {
    const holders = horizonHolders(snapshot);
    const findings: FindingDraft[] = [];
    for (const [database, tables] of Object.entries(snapshot.tables)) {
      for (const t of tables) {
        const dead = t.dead_tuples ?? 0;
        if (dead === 0 || dead < thresholds.deadTuples) continue; // a threshold of 0 still means "some"
        const live = Math.max(t.live_tuples ?? 0, 0);
        const ratio = dead / Math.max(dead + live, 1);
        const keeper = holders.find((h) => capsRelation(h, database, t) && tablesKeptBy(h, snapshot).some((k) => k.table === t));
        const name = qualified(t.schema, t.name);
        findings.push({
          severity: ratio >= 0.5 || keeper ? 'warning' : 'info',
          subject: { database, schema: t.schema, table: t.name },
          summary: `${t.schema}.${t.name} in "${database}" has ${formatCount(dead)} dead tuples (${Math.round(ratio * 100)}% of its rows); ${keeper ? `they are NOT removable while ${describeHolder(keeper)} holds the horizon` : 'VACUUM can remove them now'}.`,
          evidence: [
            { table: `${t.schema}.${t.name}`, dead_tuples: dead, live_tuples: live, dead_ratio: Number(ratio.toFixed(3)), last_vacuum: t.last_vacuum?.toISOString() ?? null, last_autovacuum: t.last_autovacuum?.toISOString() ?? null, held_by: keeper ? describeHolder(keeper) : null },
          ],
          remediation: keeper ? [`-- release the holder first (see xmin-horizon), then:`, `VACUUM (VERBOSE) ${name};`] : [`VACUUM (VERBOSE) ${name};`],
        });
      }
    }
    return findings;
  },
});
