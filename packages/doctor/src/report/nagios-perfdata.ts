import { settingNumber } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import type { Thresholds } from '../engine/thresholds.js';
import { ageLimits } from '../mvcc/wraparound-limits.js';

/** One Nagios performance value: 'label'=value[UOM];warn;crit;min;max (empty fields are left out at the end). */
export interface PerfValue {
  label: string;
  value: number;
  /** Nagios units: "" (a count), "s", "%", "B", "c" (a counter). */
  uom?: '' | 's' | '%' | 'B' | 'c';
  warn?: number;
  crit?: number;
  min?: number;
  max?: number;
}

/** The largest XID age there can be: 2^31 - 1, where wraparound itself is. */
const MAX_AGE = 2 ** 31 - 1;

/**
 * What a Nagios/Icinga graph of MVCC health needs, read from the snapshot `check` already took (no query of its
 * own): XID age per database against the ages where PostgreSQL acts, how far back the oldest horizon holder keeps
 * the cluster, dead tuples per database and sessions waiting for a lock.
 */
export function nagiosPerfdata(snapshot: Snapshot, thresholds: Thresholds): PerfValue[] {
  const limits = ageLimits(
    snapshot.server.version_num,
    settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000),
    settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000),
  );
  const values: PerfValue[] = [];
  // Warning past autovacuum_freeze_max_age and critical past the failsafe (or the warning zone before 14): the
  // same ages at which the xid-wraparound check changes severity.
  for (const db of snapshot.databases ?? []) {
    values.push({ label: `xid_age_${db.datname}`, value: db.xid_age, warn: limits.autovacuum, crit: limits.failsafe ?? limits.warn, min: 0, max: MAX_AGE });
  }
  const oldest = oldestHolder(snapshot);
  values.push({ label: 'oldest_holder_xids', value: oldest.xids, warn: thresholds.horizonXids, min: 0 });
  values.push({ label: 'oldest_holder_seconds', value: Math.round(oldest.seconds), uom: 's', warn: thresholds.horizonSeconds, min: 0 });
  for (const [database, tables] of Object.entries(snapshot.tables).sort(([a], [b]) => a.localeCompare(b))) {
    values.push({ label: `dead_tuples_${database}`, value: tables.reduce((sum, t) => sum + Math.max(t.dead_tuples ?? 0, 0), 0), min: 0 });
  }
  if (snapshot.activity) {
    values.push({ label: 'lock_waiters', value: snapshot.activity.filter((a) => a.wait_event_type === 'Lock').length, min: 0 });
  }
  return values;
}

/**
 * The oldest horizon holder's age in XIDs and how long it has held, each over every kind of holder (a session's
 * backend_xid or backend_xmin, a prepared transaction, a slot's xmin or catalog_xmin, a standby's feedback xmin).
 * Read straight from the rows so the graph means the same whatever the checks make of the holders.
 */
function oldestHolder(snapshot: Snapshot): { xids: number; seconds: number } {
  let xids = 0;
  let seconds = 0;
  const take = (age: number | null | undefined, held: number | null | undefined) => {
    if (age === null || age === undefined || age < 0) return;
    xids = Math.max(xids, age);
    seconds = Math.max(seconds, held ?? 0);
  };
  for (const a of snapshot.activity ?? []) {
    if (a.backend_type !== 'client backend' && a.backend_type !== null) continue;
    take(Math.max(a.xid_age ?? -1, a.xmin_age ?? -1), a.xact_seconds);
  }
  for (const p of snapshot.prepared ?? []) take(p.xid_age, p.seconds);
  for (const s of snapshot.slots ?? []) take(Math.max(s.xmin_age ?? -1, s.catalog_xmin_age ?? -1), s.inactive_seconds);
  for (const st of snapshot.standbys ?? []) take(st.xmin_age, undefined);
  return { xids, seconds };
}
