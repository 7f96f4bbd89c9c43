import type { ActivityRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import type { FindingDraft, Severity } from './finding.js';
import { horizonHolders, releaseSteps } from '../mvcc/horizon-holders.js';
import { keptEvidence, tablesKeptBy } from '../mvcc/kept-dead-tuples.js';
import { originOf } from './origin.js';
import { formatCount, formatDuration } from '../report/format.js';

/** Who a session is and what it pins: the first columns of every session finding's evidence row. */
export function sessionEvidence(session: ActivityRow): Record<string, unknown> {
  return {
    pid: session.pid,
    state: session.state,
    database: session.datname,
    user: session.usename,
    application_name: session.application_name,
    client_addr: session.client_addr,
    backend_xid: session.backend_xid,
    backend_xmin: session.backend_xmin,
  };
}

/** Sessions that really pin the horizon (backend_xid or backend_xmin), with the tables they keep dead tuples in. */
export function pinningSessions(snapshot: Snapshot, match: (a: ActivityRow) => boolean): { session: ActivityRow; finding: Omit<FindingDraft, 'severity' | 'summary'>; keptTables: number }[] {
  return horizonHolders(snapshot)
    .filter((h) => h.kind === 'session' && match(h.session!))
    .map((h) => {
      const session = h.session!;
      const kept = tablesKeptBy(h, snapshot);
      const finding: Omit<FindingDraft, 'severity' | 'summary'> = {
        subject: { database: session.datname ?? undefined, pid: session.pid },
        evidence: [
          {
            ...sessionEvidence(session),
            xids_behind: h.xids,
            transaction_age: formatDuration(session.xact_seconds ?? 0),
            idle_for: session.state?.startsWith('idle') ? formatDuration(session.state_seconds ?? 0) : undefined,
            last_query: session.query,
          },
          ...keptEvidence(kept),
        ],
        remediation: releaseSteps(h),
      };
      const origin = originOf(session);
      if (origin) finding.origin = origin;
      return { session, finding, keptTables: kept.length };
    });
}

/** Critical after 12x the threshold, and never before ten minutes (a lowered threshold only widens "warning"). */
export function severityFor(seconds: number, threshold: number, kept: number): Severity | undefined {
  if (seconds >= Math.max(threshold * 12, 600)) return 'critical';
  if (seconds >= threshold || kept > 0) return 'warning';
  return undefined;
}

export function pinText(session: ActivityRow): string {
  return session.backend_xid ? `holds XID ${session.backend_xid}` : `holds a snapshot at xmin ${session.backend_xmin}`;
}

export function countText(n: number, what: string): string {
  return `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;
}
