import type { Finding } from '../engine/finding.js';
import { findingKey, type FindingEvent } from './finding-event.js';

/** The check id of the finding a daemon opens for a cluster it cannot read. */
export const UNREACHABLE = 'target-unreachable';

/**
 * Turns each observation's findings into events that open and close. Only changes are returned for storing (an
 * open, a close, a new severity); the latest wording of an open finding is kept in memory and stored on close.
 */
export class FindingTracker {
  private readonly open = new Map<string, Map<string, FindingEvent>>();

  /** Continue what a previous daemon left open, instead of opening it again. */
  restore(cluster: string, events: FindingEvent[]): void {
    this.openOf(cluster, true);
    for (const e of events) this.open.get(cluster)!.set(e.key, e);
  }

  /** An observation that read the cluster: what it reports is open, everything else closes. */
  observed(cluster: string, at: number, findings: Finding[]): FindingEvent[] {
    const open = this.openOf(cluster, true);
    const changed: FindingEvent[] = [];
    const seen = new Set<string>();
    for (const finding of findings) {
      const key = findingKey(finding);
      if (seen.has(key)) continue;
      seen.add(key);
      const before = open.get(key);
      const event: FindingEvent = before
        ? { ...before, severity: finding.severity, finding }
        : { cluster, key, check: finding.check, severity: finding.severity, openedAt: at, finding };
      open.set(key, event);
      if (!before || before.severity !== finding.severity) changed.push(event);
    }
    for (const [key, event] of open) {
      if (seen.has(key)) continue;
      open.delete(key);
      changed.push({ ...event, closedAt: at });
    }
    return changed;
  }

  /** The cluster could not be read: its findings are unknown, so they stay as they were, and one more opens. */
  unreachable(cluster: string, at: number, reason: string): FindingEvent[] {
    const open = this.openOf(cluster, true);
    const finding: Finding = {
      check: UNREACHABLE,
      severity: 'critical',
      subject: {},
      summary: `mvcc-doctor cannot read cluster ${cluster}: ${reason}`,
      evidence: [{ error: reason }],
      why: 'While the daemon cannot read a cluster, none of its MVCC faults can be seen: a wraparound or a horizon holder may be growing unwatched.',
      remediation: ['Check that the server is up and accepts connections from this host (pg_hba.conf), and that the role and password are right.'],
    };
    const key = findingKey(finding);
    const before = open.get(key);
    const event: FindingEvent = before ? { ...before, finding } : { cluster, key, check: UNREACHABLE, severity: 'critical', openedAt: at, finding };
    open.set(key, event);
    return before ? [] : [event];
  }

  openEvents(cluster: string): FindingEvent[] {
    return [...this.openOf(cluster, false).values()];
  }

  private openOf(cluster: string, create: boolean): Map<string, FindingEvent> {
    let open = this.open.get(cluster);
    if (!open) {
      open = new Map();
      if (create) this.open.set(cluster, open);
    }
    return open;
  }
}
