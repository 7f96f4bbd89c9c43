import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatBytes, formatCount, formatDuration } from '../report/format.js';
import { quoteLiteral } from '@mvcc-doctor/pg/quote';

export default defineCheck({
  id: 'replication-slot',
  meta: {
    title: 'Replication slot holding the horizon or WAL',
    area: 'horizon',
    why: "A slot keeps everything its consumer has not confirmed: WAL from restart_lsn, and with xmin (physical, hot_standby_feedback) or catalog_xmin (logical) the rows VACUUM would otherwise remove. An abandoned slot holds them forever.",
    description: 'Reads pg_replication_slots: inactive slots that hold xmin, catalog_xmin or WAL, active slots past the XID or WAL thresholds, and invalidated slots.',
    severities: { critical: 'invalidated, 100M XIDs behind, or retaining 10x the WAL threshold', warning: 'inactive, or past the XID or WAL threshold', info: 'active and holding, below the thresholds' },
    thresholds: ['slotXids', 'slotRetainedBytes'],
    remediation: 'Drop a slot nothing will consume again (pg_drop_replication_slot); for an active one, find why its consumer lags.',
  },
  uses: ['slots'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const s of snapshot.slots ?? []) {
      const age = Math.max(s.xmin_age ?? 0, s.catalog_xmin_age ?? 0);
      const retained = s.retained_bytes ?? 0;
      const lost = s.wal_status === 'lost' || s.invalidation_reason !== null;
      const inactive = !s.active;
      if (!lost && !(inactive && (age > 0 || retained > 0)) && age < thresholds.slotXids && retained < thresholds.slotRetainedBytes) continue;
      const holds = [s.xmin ? `xmin ${s.xmin} (${formatCount(s.xmin_age ?? 0)} XIDs back)` : '', s.catalog_xmin ? `catalog_xmin ${s.catalog_xmin} (${formatCount(s.catalog_xmin_age ?? 0)} XIDs back)` : '']
        .filter(Boolean)
        .join(' and ');
      const critical = lost || age >= 100_000_000 || retained >= 10 * thresholds.slotRetainedBytes;
      findings.push({
        severity: critical ? 'critical' : inactive || age >= thresholds.slotXids || retained >= thresholds.slotRetainedBytes ? 'warning' : 'info',
        subject: { slot: s.slot_name, database: s.database ?? undefined },
        summary: lost
          ? `Replication slot "${s.slot_name}" was invalidated (${s.invalidation_reason ?? s.wal_status}); its consumer can no longer resume from it.`
          : `${inactive ? 'Inactive' : 'Active'} ${s.slot_type} slot "${s.slot_name}"${inactive && s.inactive_seconds !== null ? ` (unused for ${formatDuration(s.inactive_seconds)})` : ''} retains ${formatBytes(retained)} of WAL${holds ? ` and holds ${holds}` : ''}.`,
        evidence: [
          { slot_name: s.slot_name, slot_type: s.slot_type, plugin: s.plugin, database: s.database, active: s.active, active_pid: s.active_pid, xmin: s.xmin, catalog_xmin: s.catalog_xmin, restart_lsn: s.restart_lsn, retained_wal: formatBytes(retained), wal_status: s.wal_status, invalidation_reason: s.invalidation_reason },
        ],
        remediation: inactive
          ? [`-- confirm nothing will consume "${s.slot_name}" again (a decommissioned replica or CDC job), then:`, `SELECT pg_drop_replication_slot(${quoteLiteral(s.slot_name)});`]
          : [`-- its consumer (pid ${s.active_pid}) is connected but behind: check the consumer's lag and errors`],
      });
    }
    return findings;
  },
});
