import { defineCheck } from './define-check.js';
import type { FindingDraft } from './finding.js';
import { horizonHolders, releaseSteps, type HorizonHolder } from './horizon-holders.js';
import { keptEvidence, tablesKeptBy } from './kept-dead-tuples.js';
import { originOf } from './origin.js';
import { formatCount, formatDuration } from './sql-text.js';

export default defineCheck({
  id: 'xmin-horizon',
  meta: {
    title: 'xmin horizon held back',
    area: 'horizon',
    why: 'VACUUM may only remove row versions that no snapshot can still see, and may only freeze up to the oldest xmin. One old transaction, prepared transaction, slot or standby therefore stops cleanup and freezing everywhere it reaches.',
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
      summary: `The xmin horizon is held ${formatCount(oldest.xids)} XIDs back${oldest.seconds !== undefined ? ` for ${formatDuration(oldest.seconds)}` : ''} by ${describe(oldest)}${kept.length ? `; ${kept.length} table(s) keep dead tuples because of it` : ''}.`,
      evidence: [
        ...holders.slice(0, 5).map((h) => ({ holder: describe(h), xmin: h.xmin, xids_behind: h.xids, held_for: h.seconds === undefined ? undefined : formatDuration(h.seconds), reach: h.reach, database: h.database })),
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

export function describe(h: HorizonHolder): string {
  switch (h.kind) {
    case 'session': {
      const s = h.session!;
      return `session pid ${s.pid} (${s.state ?? 'unknown state'}${s.application_name ? `, application "${s.application_name}"` : ''}${s.usename ? `, user ${s.usename}` : ''})`;
    }
    case 'prepared-transaction':
      return `prepared transaction '${h.prepared!.gid}' in database "${h.database}"`;
    case 'replication-slot':
      return `${h.slot!.active ? 'active' : 'inactive'} ${h.slot!.slot_type} replication slot "${h.slot!.slot_name}"${h.reach === 'catalog' ? ' (catalog_xmin: system catalogs only)' : ''}`;
    case 'standby':
      return `standby "${h.standby!.application_name}" through hot_standby_feedback`;
  }
}
