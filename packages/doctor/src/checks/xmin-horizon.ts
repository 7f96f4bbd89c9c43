import { settingNumber } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { capsText } from '../mvcc/horizon-caps.js';
import { bySafety, releaseOf } from '../mvcc/holder-release.js';
import { describeHolder, horizonHolders, releaseSteps, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { keptEvidence, tablesKeptBy } from '../mvcc/kept-dead-tuples.js';
import { ageLimits, zoneOf } from '../mvcc/wraparound-limits.js';
import { originOf } from '../engine/origin.js';
import { formatCount, formatDuration } from '../report/format.js';

export default defineCheck({
  id: 'xmin-horizon',
  meta: {
    title: 'xmin horizon held back',
    area: 'horizon',
    why: 'VACUUM may only remove row versions that no snapshot can still see, and may only freeze up to the oldest xmin. One old transaction, prepared transaction, slot or standby therefore stops cleanup and freezing everywhere it reaches, and every holder reaches every database through the catalogs.',
    description:
      'Finds every holder of the xmin horizon among sessions (backend_xid, backend_xmin), prepared transactions, replication slots (xmin, and catalog_xmin: catalogs only) and standbys, with what each caps and the tables whose dead tuples the oldest keeps. ' +
      'A holder older than autovacuum_freeze_max_age is reported whatever the thresholds: while it stays, no database can be frozen under that limit. Every holder is in the evidence.',
    severities: {
      critical: 'the horizon is 100M XIDs or more behind, or a holder keeps a database past vacuum_failsafe_age or in the warning zone',
      warning: 'a holder keeps a database past autovacuum_freeze_max_age, the horizon is past the XID or time threshold, or VACUUM has shown dead tuples it keeps',
    },
    thresholds: ['horizonXids', 'horizonSeconds'],
    settings: ['autovacuum_freeze_max_age', 'vacuum_failsafe_age'],
    remediation: 'End or roll back the holders (terminate the session, ROLLBACK PREPARED, drop the slot, end the standby query or turn its feedback off), safest first, then VACUUM the tables they kept.',
  },
  uses: ['activity', 'prepared', 'slots'],
  evaluate(snapshot, { thresholds }) {
    const holders = horizonHolders(snapshot);
    const limits = ageLimits(snapshot.server.version_num, settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000), settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000));
    // A holder older than autovacuum_freeze_max_age keeps every database past it (the catalogs at least),
    // however few XIDs that is: the finding is about it, catalogs-only or not.
    const aged = (snapshot.databases ?? []).filter((d) => d.xid_age > limits.autovacuum);
    const cappers = aged.length > 0 ? holders.filter((h) => h.xids > limits.autovacuum) : [];
    // Otherwise the data horizon first: a logical slot's catalog_xmin holds only system catalogs (replication-slot reports it).
    const oldest = cappers[0] ?? holders.find((h) => h.reach !== 'catalog') ?? holders[0];
    if (!oldest) return [];
    const kept = tablesKeptBy(oldest, snapshot);
    const old = oldest.xids >= thresholds.horizonXids || (oldest.seconds ?? 0) >= thresholds.horizonSeconds;
    if (cappers.length === 0 && !old && kept.length === 0) return [];
    const worstZone = aged.map((d) => zoneOf(d.xid_age, limits)).find((z) => z !== 'autovacuum');
    const finding: FindingDraft = {
      severity: oldest.xids >= 100_000_000 || (cappers.length > 0 && worstZone !== undefined) ? 'critical' : 'warning',
      subject: subjectOf(oldest),
      summary: cappers.length > 0 ? cappedSummary(oldest, cappers, aged.length, snapshot) : heldSummary(oldest, kept.length),
      // Every holder, none cut: each must go before the horizon moves past it.
      evidence: [...holders.map((h) => holderEvidence(h, limits.autovacuum)), ...keptEvidence(kept)],
      remediation:
        cappers.length > 0
          ? [
              ...[...cappers].sort(bySafety).flatMap((h) => [`-- ${describeHolder(h)}:`, ...releaseSteps(h)]),
              `-- then VACUUM (FREEZE, TRUNCATE false) the oldest tables, or: mvcc-doctor freeze plan`,
            ]
          : [...releaseSteps(oldest), `-- then VACUUM (VERBOSE) the tables listed to remove what it kept`],
    };
    const origin = oldest.session ? originOf(oldest.session) : undefined;
    if (origin) finding.origin = origin;
    return [finding];
  },
});

function heldSummary(oldest: HorizonHolder, kept: number): string {
  return `The xmin horizon is held ${formatCount(oldest.xids)} XIDs back${oldest.seconds !== undefined ? ` for ${formatDuration(oldest.seconds)}` : ''} by ${describeHolder(oldest)}${kept ? `; ${kept} table(s) keep dead tuples because of it` : ''}.`;
}

function cappedSummary(oldest: HorizonHolder, cappers: HorizonHolder[], agedDatabases: number, snapshot: Snapshot): string {
  const others = cappers.length - 1;
  const databases = agedDatabases === (snapshot.databases?.length ?? 0) ? 'every database stays' : agedDatabases === 1 ? 'one database stays' : `${agedDatabases} databases stay`;
  return (
    `${describeHolder(oldest)} holds the xmin horizon ${formatCount(oldest.xids)} XIDs back, past autovacuum_freeze_max_age` +
    `${others ? `, with ${others} more holder${others === 1 ? '' : 's'}` : ''}: it caps ${capsText(oldest)}, so ${databases} past that limit whatever VACUUM freezes.`
  );
}

function holderEvidence(h: HorizonHolder, freezeMaxAge: number): Record<string, unknown> {
  return {
    holder: describeHolder(h),
    kind: h.kind,
    xmin: h.xmin,
    xids_behind: h.xids,
    held_for: h.seconds === undefined ? undefined : formatDuration(h.seconds),
    reach: h.reach,
    database: h.database,
    caps: capsText(h),
    catalogs_only: h.reach === 'catalog',
    past_freeze_max_age: h.xids > freezeMaxAge,
    release: releaseOf(h).action,
  };
}

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
