import type { Skip, Snapshot } from '../collect/snapshot.js';
import { AREAS, type CheckContext, type CheckDefinition } from './define-check.js';
import { SEVERITY_ORDER, type Finding } from './finding.js';
import { CHECKS } from '../checks/index.js';

export interface CheckResults {
  findings: Finding[];
  skipped: Skip[];
}

/** Evaluate checks over a snapshot; a check whose data could not be read is skipped with the reason. */
export function runChecks(snapshot: Snapshot, context: CheckContext, checks: readonly CheckDefinition[] = CHECKS): CheckResults {
  const findings: Finding[] = [];
  const skipped: Skip[] = [...snapshot.skipped];
  // Wraparound before horizon before vacuum…: within a severity, the most urgent mechanism is read first.
  const ordered = [...checks].sort((a, b) => AREAS.indexOf(a.meta.area) - AREAS.indexOf(b.meta.area));
  for (const check of ordered) {
    const missing = check.uses.find((name) => snapshot[name] === undefined);
    if (missing) {
      const why = snapshot.skipped.find((s) => s.what === missing)?.reason ?? `${missing} could not be read`;
      skipped.push({ what: check.id, reason: why });
      continue;
    }
    const notHere = check.skip?.(snapshot);
    if (notHere) {
      skipped.push({ what: check.id, reason: notHere });
      continue;
    }
    for (const draft of check.evaluate(snapshot, context)) {
      findings.push({ check: check.id, why: draft.why ?? check.meta.why, ...draft });
    }
  }
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return { findings, skipped };
}
