import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import type { PreparedLock } from '../collect/rows.js';
import { settingNumber } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { blocksVacuumIn, horizonHolders, releaseSteps } from '../mvcc/horizon-holders.js';
import { ageLimits, zoneOf, type Zone } from '../mvcc/wraparound-limits.js';
import { keptEvidence, tablesKeptBy } from '../mvcc/kept-dead-tuples.js';
import { formatCount, formatDuration } from '../report/format.js';

export default defineCheck({
  id: 'prepared-transaction',
  meta: {
    title: 'Orphaned prepared transaction',
    area: 'horizon',
    why: 'A prepared (two-phase) transaction outlives its session and even a restart: its locks and its XID stay until someone runs COMMIT or ROLLBACK PREPARED. It blocks freezing in its database, and the locks it holds can stall DDL and VACUUM.',
    description: 'Reads pg_prepared_xacts with each prepared transaction\'s locks, and the wraparound zone of its database: one that keeps VACUUM from a database near wraparound is reported however young.',
    severities: { critical: 'an hour old, 100M XIDs behind, or harming a database near wraparound', warning: 'older than the threshold, or locking tables an anti-wraparound VACUUM needs' },
    thresholds: ['preparedTransactionSeconds'],
    settings: ['autovacuum_freeze_max_age', 'vacuum_failsafe_age'],
    remediation: 'Ask the transaction manager whether it committed; then COMMIT PREPARED or ROLLBACK PREPARED it, in its own database.',
  },
  uses: ['prepared'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const holder of horizonHolders(snapshot).filter((h) => h.kind === 'prepared-transaction')) {
      const p = holder.prepared!;
      const zone = databaseZone(snapshot, p.database);
      const blocksFreezing = blocksVacuumIn(holder, p.database) && zone !== 'ok';
      const harmful = zone === 'warn' || zone === 'stop' || blocksFreezing;
      // Age is only a proxy: one that is harming a database near wraparound is reported however young.
      if (p.seconds < thresholds.preparedTransactionSeconds && !harmful) continue;
      const kept = tablesKeptBy(holder, snapshot);
      const nearWraparound = zone === 'warn' || zone === 'stop' || (zone === 'failsafe' && blocksFreezing);
      const critical = p.seconds >= 3600 || p.xid_age >= 100_000_000 || nearWraparound;
      const locks = p.locks.map((l) => `${l.mode}${l.relation ? ` on ${relationName(snapshot, p.database, l)}` : ''}`);
      const consequence =
        zone === 'stop' || zone === 'warn'
          ? `; "${p.database}" is in the wraparound ${zone === 'stop' ? 'stop' : 'warning'} zone${blocksFreezing ? ' and these locks keep every VACUUM of its tables waiting' : ''}`
          : blocksFreezing
            ? '; its locks keep the anti-wraparound VACUUM of its tables waiting'
            : '';
      findings.push({
        severity: critical ? 'critical' : 'warning',
        subject: { database: p.database, gid: p.gid },
        summary: `Prepared transaction '${p.gid}' (owner ${p.owner}, database "${p.database}") has waited ${formatDuration(p.seconds)} for COMMIT/ROLLBACK PREPARED, holding XID ${p.xid} (${formatCount(p.xid_age)} XIDs back)${locks.length ? ` and ${locks.length} lock(s)` : ''}${consequence}.`,
        evidence: [
          { gid: p.gid, database: p.database, owner: p.owner, xid: p.xid, xids_behind: p.xid_age, prepared_at: p.prepared.toISOString(), waiting_for: formatDuration(p.seconds) },
          ...p.locks.map((l) => ({ lock: l.mode, locktype: l.locktype, relation: l.relation ? relationName(snapshot, p.database, l) : undefined })),
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

/** The XID wraparound zone of a database, when the databases dataset was read. */
function databaseZone(snapshot: Snapshot, database: string): Zone {
  const db = snapshot.databases?.find((d) => d.datname === database);
  if (!db) return 'ok';
  const limits = ageLimits(snapshot.server.version_num, settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000), settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000));
  return zoneOf(db.xid_age, limits);
}

/** A lock's relation by name: regclass only resolves in the database we read it from, so look in that database's locks. */
function relationName(snapshot: Snapshot, database: string, lock: PreparedLock): string {
  if (lock.same_database !== false) return lock.relation ?? '';
  const named = snapshot.locks[database]?.find((l) => l.pid === null && String(l.relid) === lock.relation);
  return named?.relation ?? `OID ${lock.relation} in "${database}"`;
}
