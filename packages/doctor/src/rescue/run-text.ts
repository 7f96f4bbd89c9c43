import { formatCount } from '../report/format.js';
import type { ReleaseResult } from './blocker-release.js';
import type { FreezePlan } from './freeze-plan.js';
import type { FreezeRunResult } from './run-types.js';

/** What the blocker release did, one line each. */
export function renderRelease(results: ReleaseResult[], color: boolean): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const mark = { released: paint(32, 'released'), gone: paint(2, 'gone    '), changed: paint(33, 'changed '), named: paint(2, 'named   '), failed: paint(31, 'FAILED  ') };
  return `${results.map((r) => `  ${mark[r.status]}  ${r.blocker.description}: ${r.message}`).join('\n')}\n`;
}

/** The end of a run: what was frozen, what failed and what to do about it, where every database is now. */
export function renderRunSummary(plan: FreezePlan, result: FreezeRunResult, color: boolean): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const out: string[] = [];
  out.push(
    '',
    paint(1, `Frozen ${result.frozen.length} relation(s) in ${result.seconds.toFixed(1)}s`) +
      `; ${result.failed.length} failed; ${result.skipped.length} skipped; ${result.notStarted.length} not started${result.cancelled ? ' (cancelled)' : ''}.`,
  );
  if (result.tookOver.length > 0) {
    out.push(`Took over ${result.tookOver.length} relation(s) from autovacuum workers throttled by vacuum_cost_delay (cancelled them, froze at full speed): ${result.tookOver.map((t) => `${t.relation.relation} in "${t.relation.database}" (pid ${t.pid})`).join(', ')}.`);
  }
  for (const [database, reasons] of skippedByDatabase(result)) out.push(paint(2, `Skipped in "${database}": ${reasons}.`));
  if (result.leftStopZoneAt !== undefined) out.push(paint(32, `Out of the stop zone after ${result.leftStopZoneAt.toFixed(2)}s: the cluster accepts writes again.`));
  else {
    for (const exit of result.stopZoneExits) out.push(paint(32, `"${exit.database}" left the stop zone after ${exit.seconds.toFixed(2)}s.`));
  }
  for (const after of [...result.after].sort((a, b) => b.xid_age - a.xid_age)) {
    const before = result.before.find((b) => b.datname === after.datname);
    if (!before || (before.xid_age === after.xid_age && after.xid_age <= plan.target.xidAge)) continue;
    const over = after.xid_age > plan.target.xidAge || after.mxid_age > plan.target.mxidAge;
    const note = !over ? '' : after.allows ? paint(31, '  (still over the target)') : paint(33, '  (does not accept connections: autovacuum freezes it)');
    out.push(`  ${after.datname}: ${formatCount(before.xid_age)} → ${formatCount(after.xid_age)} XIDs, ${formatCount(before.mxid_age)} → ${formatCount(after.mxid_age)} MXIDs${note}`);
  }
  if (result.failed.length > 0) {
    out.push('', paint(31, 'Failed (the run went on without them):'));
    for (const f of result.failed) {
      out.push(`  ${f.relation.relation} in "${f.relation.database}": ${f.message}${f.code ? ` (SQLSTATE ${f.code})` : ''}${f.attempts > 1 ? `, after ${f.attempts} attempts` : ''}`);
      if (f.context) out.push(paint(2, `    context: ${f.context}`));
      out.push(`    next: ${f.nextStep}`);
    }
  }
  if (result.targetReached) out.push('', paint(32, `Every database that accepts connections is under the target (${formatCount(plan.target.xidAge)} XIDs, ${formatCount(plan.target.mxidAge)} MXIDs).`));
  else {
    const held = plan.blockers.filter((b) => b.xids !== undefined && b.xids > plan.target.xidAge);
    out.push(
      '',
      paint(31, 'The target is not reached yet.') +
        (held.length > 0 ? ` Blockers hold the horizon (${held.map((b) => b.description).join('; ')}): release them (--release-blockers) and run again.` : '') +
        (result.cancelled || result.failed.length > 0 ? ' A second run continues where this one stopped (it plans again from the current ages).' : ''),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Per database, how many relations were skipped and why ("3 already under the target, 1 dropped meanwhile"). */
function skippedByDatabase(result: FreezeRunResult): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const { relation, reason } of result.skipped) {
    const byReason = counts.get(relation.database) ?? new Map<string, number>();
    const short = reason.split(' (')[0]!;
    byReason.set(short, (byReason.get(short) ?? 0) + 1);
    counts.set(relation.database, byReason);
  }
  return new Map([...counts].map(([database, byReason]) => [database, [...byReason].map(([reason, n]) => `${n} ${reason}`).join(', ')]));
}
