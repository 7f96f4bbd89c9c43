import { formatCount } from '../report/format.js';
import type { ClogPlan } from './plan-clog.js';
import { describeSource } from './render-check.js';

const SAFETY = { safe: 'safe', 'per-row': 'per row', 'last-resort': 'LAST RESORT' } as const;

/** The recovery plan for a terminal: what is lost, then each step with its commands and what it costs. */
export function renderClogPlan(plan: ClogPlan): string {
  const { check } = plan;
  const out = [`mvcc-doctor clog plan — ${describeSource(check.source, check.server)}`];
  if (plan.exit_code === 3) {
    for (const s of check.skipped) out.push(`skipped: ${s.what} — ${s.reason}`);
    out.push('', 'could not diagnose: the segment files could not be read, so there is nothing to plan — exit 3');
    return `${out.join('\n')}\n`;
  }
  if (plan.segments.length === 0) {
    out.push('', 'Nothing to recover: every segment the IDs in use need is there — exit 0');
    return `${out.join('\n')}\n`;
  }
  out.push('Nothing below has been run. Steps in order of safety: take the first that is possible.', '', 'Lost:');
  for (const s of plan.segments) {
    const size = s.kind === 'missing' ? 'missing' : `short: ${formatCount(s.size)} bytes`;
    out.push(`  ${s.file}  ${size}, needs at least ${formatCount(s.neededBytes)} (${formatCount(s.segmentBytes)} when whole): IDs ${formatCount(s.firstId)} … ${formatCount(s.lastId)}`);
  }
  for (const x of check.xids.filter((x) => x.lost)) {
    out.push(`  transaction ${x.xid}: ${x.location.file}, byte ${x.location.offset}, shift ${x.location.shift}`);
  }
  plan.steps.forEach((step, i) => {
    out.push('', `Step ${i + 1} (${SAFETY[step.safety]}): ${step.title}`, `  ${step.when}`, '');
    for (const line of step.commands) out.push(...line.split('\n').map((l) => `    ${l}`));
    out.push('', '  Consequences:', ...step.consequences.map((c) => `  - ${c}`));
  });
  const gaps = check.slrus.flatMap((s) => s.gaps);
  if (gaps.length > 0) out.push('', `Not in this plan: ${gaps.map((g) => g.file).join(', ')} — no ID is known to use them (clog check explains).`);
  out.push('', `${plan.segments.length} segment(s) to recover — exit 2`);
  return `${out.join('\n')}\n`;
}
