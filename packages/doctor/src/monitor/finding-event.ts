import type { Finding } from '../engine/finding.js';

/**
 * A finding's life on the timeline: opened when a check first reports it for a subject, closed when a later
 * observation no longer does. `key` is stable across observations (check id + subject), so the same fault seen
 * every interval is one event, not one per interval.
 */
export interface FindingEvent {
  cluster: string;
  key: string;
  check: string;
  severity: Finding['severity'];
  /** Epoch ms. */
  openedAt: number;
  /** Epoch ms; absent while open. */
  closedAt?: number;
  /** The latest version of the finding (evidence, summary and origin as `check --json` shows them). */
  finding: Finding;
}

/** The same fault in two observations has the same key: the check and what it is about, not its numbers. */
export function findingKey(finding: Finding): string {
  const s = finding.subject;
  const parts = [finding.check, s.database, s.schema, s.table, s.pid, s.gid, s.slot, s.standby, s.setting];
  return parts.map((p) => (p === undefined ? '' : String(p))).join('|');
}
