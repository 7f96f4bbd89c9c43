import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { describeHolder, horizonHolders, releaseSteps, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { keptEvidence, tablesKeptBy } from '../mvcc/kept-dead-tuples.js';
import { originOf } from '../engine/origin.js';
import { formatCount, formatDuration } from '../report/format.js';

export default defineCheck({
  id: 'xmin-horizon',
  meta: {
    title: 'xmin horizon held back',
    area: 'horizon',
    why: 'VACUUM may only remove row versions that no snapshot can still see, and may only freeze up to the oldest xmin. One old transaction, prepared transaction, slot or standby therefore stops cleanup and freezing everywhere it reaches.',
    description: 'Finds the oldest holder of the xmin horizon among sessions (backend_xid, backend_xmin), prepared transactions, replication slots and standbys, with the tables whose dead tuples it keeps.',
    severities: { critical: 'the horizon is 100M XIDs or more behind', warning: 'the horizon is past the XID or time threshold, or VACUUM has shown dead tuples it keeps' },
    thresholds: ['horizonXids', 'horizonSeconds'],
    remediation: 'End or roll back the oldest holder (terminate the session, ROLLBACK PREPARED, drop the slot, end the standby query), then VACUUM the tables it kept.',
  },
  uses: ['activity', 'prepared', 'slots'],
  evaluate(snapshot, { thresholds }) {
    const holders = horizonHolders(snapshot);
    // A logical slot's catalog_xmin holds only system catalogs (replication-slot reports it); the data horizon comes first.
    const oldest = holders.find((h) => h.reach !== 'catalog') ?? holders[0];
    if (!oldest) return [];
    const kept = tablesKeptBy(oldest, snapshot);
    const old = oldest.xids >= thresholds.horizonXids || (oldest.seconds ?? 0) >= thresholds.horizonSeconds;
    if (!old && kept.length === 0) return [];
    const finding: FindingDraft = {
      severity: oldest.xids >= 100_000_000 ? 'critical' : 'warning',
      subject: subjectOf(oldest),
      summary: `The xmin horizon is held ${formatCount(oldest.xids)} XIDs back${oldest.seconds !== undefined ? ` for ${formatDuration(oldest.seconds)}` : ''} by ${describeHolder(oldest)}${kept.length ? `; ${kept.length} table(s) keep dead tuples because of it` : ''}.`,
      evidence: [
        ...holders.slice(0, 5).map((h) => ({ holder: describeHolder(h), xmin: h.xmin, xids_behind: h.xids, held_for: h.seconds === undefined ? undefined : formatDuration(h.seconds), reach: h.reach, database: h.database })),
        ...keptEvidence(kept),
      ],
      remediation: [...releaseSteps(oldest), `-- then VACUUM (VERBOSE) the tables listed to remove what it kept`],
    };
    const origin = oldest.session ? originOf(oldest.session) : undefined;
    if (origin) finding.origin = origin;
    return [finding];
  },
});

function subjectOf(h: HorizonHolder): FindingDraft['subject'] {
  switch (h.kind) {
    case 'session':
      return { database: h.database, pid: h.session!.pid };
    case 'prepared-transaction':
      return { database: h.database, gid: h.prepared!.gid };
    case 'replication-slot':
      return { slot: h.slot!.slot_name };
    case 'standby':
      return { standby: h.standby!.application_name };
  }
}
