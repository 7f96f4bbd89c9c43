import type { Finding, Subject } from '../../engine/finding.js';

/**
 * The alert name of each check id: the names receivers route and silence on, so they are stable like the ids.
 * The Prometheus rules file (packages/doctor/prometheus/mvcc-doctor.rules.yml) uses the same names.
 */
export const ALERT_NAMES: Readonly<Record<string, string>> = Object.freeze({
  'autovacuum-disabled': 'MvccAutovacuumDisabled',
  'autovacuum-lag': 'MvccAutovacuumOverdue',
  'autovacuum-loop': 'MvccAutovacuumInCircles',
  bloat: 'MvccBloat',
  'checksum-failures': 'MvccChecksumFailures',
  'clog-missing': 'MvccClogMissing',
  'dead-tuples': 'MvccDeadTuples',
  deadlocks: 'MvccDeadlocks',
  'freezing-behind': 'MvccFreezingBehind',
  'idle-in-transaction': 'MvccIdleInTransaction',
  'lock-blocking': 'MvccLockQueue',
  'long-transaction': 'MvccLongTransaction',
  'mxid-wraparound': 'MvccMxidWraparound',
  'prepared-transaction': 'MvccOrphanedPreparedTransaction',
  queries: 'MvccSlowQueries',
  'replication-slot': 'MvccReplicationSlot',
  rollbacks: 'MvccRollbacks',
  'standby-feedback': 'MvccStandbyFeedback',
  'target-unreachable': 'MvccTargetUnreachable',
  'vacuum-running': 'MvccVacuumStalled',
  'vacuum-settings': 'MvccVacuumSettings',
  'wraparound-eta': 'MvccWraparoundEta',
  'xid-wraparound': 'MvccXidWraparound',
  'xmin-horizon': 'MvccHorizonHeld',
});

/** A check this version does not name (a newer daemon's, a plugin's) still alerts; its `check` label tells which. */
export const GENERIC_ALERT_NAME = 'MvccFinding';

/** Subject fields that become labels, in this order: they identify the fault, so they are part of the fingerprint. */
const SUBJECT_LABELS: readonly (keyof Subject)[] = ['database', 'schema', 'table', 'pid', 'gid', 'slot', 'standby', 'setting'];

/** What an alert says: labels identify it (Alertmanager fingerprints them), annotations describe it. */
export interface AlertContent {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The alert a finding raises, or undefined for an info finding (worth a look, not a page). Application origin
 * goes to annotations, not labels: it changes between observations of the same fault and must not split it.
 */
export function alertOf(cluster: string, finding: Finding): AlertContent | undefined {
  if (finding.severity === 'info') return undefined;
  const labels: Record<string, string> = {
    alertname: ALERT_NAMES[finding.check] ?? GENERIC_ALERT_NAME,
    cluster,
    check: finding.check,
    severity: finding.severity,
  };
  for (const field of SUBJECT_LABELS) {
    const value = finding.subject[field];
    // Alertmanager treats an empty label as absent; leaving it out keeps fingerprints equal to its own.
    if (value !== undefined && value !== '') labels[field] = String(value);
  }
  const annotations: Record<string, string> = { summary: finding.summary, description: finding.why };
  const fix = firstStep(finding.remediation);
  if (fix) annotations.fix = fix;
  const origin = finding.origin;
  if (origin?.app) annotations.app = origin.app;
  if (origin?.origin || origin?.route) {
    annotations.origin = [origin.origin, origin.route && `(${origin.route})`].filter(Boolean).join(' ');
  }
  if (origin?.route) annotations.route = origin.route;
  return { labels, annotations };
}

/** The first line that does something: remediation often opens with a `--` comment that only sets the scene. */
function firstStep(remediation: string[]): string | undefined {
  return remediation.find((line) => !line.trimStart().startsWith('--')) ?? remediation[0];
}
