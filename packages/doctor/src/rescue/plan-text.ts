import { formatBytes, formatCount, formatDuration } from '../report/format.js';
import { inDatabase } from '../report/sql-text.js';
import type { Zone } from '../mvcc/wraparound-limits.js';
import type { DatabasePlan, FreezePlan } from './freeze-plan.js';

export interface PlanTextStyle {
  color: boolean;
  /** Rows of the freeze order table shown (the SQL section always lists every command). Default 40. */
  orderRows?: number;
  /** Leave out the SQL section (the run prints the plan without it). */
  sql?: boolean;
}

const ZONE_TEXT: Record<Zone, string> = { stop: 'STOP ZONE', warn: 'warning zone', failsafe: 'past failsafe', autovacuum: 'past autovacuum max', ok: 'ok' };
const BLOCK_BYTES = 8192;

/** Colour helpers of one rendering. */
interface Paint {
  bold: (t: string) => string;
  dim: (t: string) => string;
  red: (t: string) => string;
  yellow: (t: string) => string;
}

/** The plan as a person reads it during an incident: where each database is, what blocks, what will run, in what order. */
export function renderPlan(plan: FreezePlan, style: PlanTextStyle): string {
  const paint = (code: number) => (text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const p: Paint = { bold: paint(1), dim: paint(2), red: paint(31), yellow: paint(33) };
  const out = [
    ...databasesSection(plan, p),
    ...horizonSection(plan, p),
    ...blockersSection(plan, p),
    ...orderSection(plan, p, style.orderRows ?? 40),
    ...(style.sql !== false ? sqlSection(plan, p) : []),
    ...plan.skipped.map((s) => p.yellow(`skipped ${s.what}${s.database ? ` in "${s.database}"` : ''}: ${s.reason}`)),
  ];
  return `${out.join('\n')}\n`;
}

function databasesSection(plan: FreezePlan, { bold, dim, red }: Paint): string[] {
  const { target } = plan;
  const out = [
    bold(`mvcc-doctor freeze plan — PostgreSQL ${plan.server.version}`),
    dim(`target: XID age ≤ ${formatCount(target.xidAge)}, MultiXact age ≤ ${formatCount(target.mxidAge)}; ${plan.jobs} job(s)${plan.emergency ? '; emergency (INDEX_CLEANUP off)' : ''}`),
    '',
    bold('Databases'),
  ];
  const width = Math.max(8, ...plan.databases.map((d) => d.name.length));
  for (const d of plan.databases) out.push(`  ${d.name.padEnd(width)}  ${databaseLine(d, red)}`);
  for (const d of plan.databases) for (const note of d.notes) out.push(dim(`  ${d.name}: ${note}`));
  return out;
}

function horizonSection(plan: FreezePlan, { bold, dim, red }: Paint): string[] {
  const out = ['', bold('Pre-flight: the xmin horizon')];
  if (plan.holders.length === 0) return [...out, '  nothing holds it back: a freeze can take every database to an age near 0.'];
  for (const h of plan.holders) {
    out.push(`  ${h.description}: ${formatCount(h.xids)} XIDs back (xmin ${h.xmin})${h.seconds !== undefined ? `, for ${formatDuration(h.seconds)}` : ''}; caps ${h.reach}`);
  }
  const oldest = plan.holders[0]!;
  out.push(
    dim('  A freeze cannot advance relfrozenxid past the oldest xmin, so no database can get younger than'),
    dim(`  ${formatCount(oldest.xids)} XIDs while ${oldest.description} stays.`),
  );
  const stuck = plan.databases.filter((d) => !d.reachesTarget && d.relations > 0);
  if (stuck.length > 0) {
    out.push(red(`  The target cannot be reached until it is released: ${stuck.map((d) => `"${d.name}" would stay at ${formatCount(d.reachableXidAge!)}`).join(', ')}.`));
  }
  return out;
}

function blockersSection(plan: FreezePlan, { bold, dim }: Paint): string[] {
  const out = ['', bold('Blockers') + dim('  (released only by `freeze run --release-blockers`, after confirmation)')];
  if (plan.blockers.length === 0) out.push('  none');
  plan.blockers.forEach((b, i) => {
    out.push(`  ${i + 1}. ${b.description}${b.action === 'none' ? dim('  [named only: cannot or should not be released from here]') : ''}`);
    for (const why of b.why) out.push(dim(`     ${why}`));
    for (const step of b.steps) out.push(...step.split('\n').map((l) => `     ${l}`));
  });
  return out;
}

function orderSection(plan: FreezePlan, { bold, dim, red }: Paint, rows: number): string[] {
  const pages = plan.order.reduce((sum, r) => sum + r.pagesToScan, 0);
  const out = [
    '',
    bold('Freeze order') +
      dim(
        `  ${plan.order.length} relation(s), ${formatCount(pages)} pages (${formatBytes(pages * BLOCK_BYTES)}) to scan, about ${estimate(plan.estimate.seconds)} with ${plan.jobs} job(s)` +
          (plan.estimate.outOfStopZoneSeconds !== undefined ? `; out of the stop zone after about ${estimate(plan.estimate.outOfStopZoneSeconds)}` : ''),
      ),
  ];
  if (plan.order.length === 0) out.push('  nothing is over the target.');
  else {
    out.push(dim('  zone by zone (stop, warning, failsafe, autovacuum, over target); within a zone the databases a holder keeps there last, oldest first, then the small ones by database; TOAST with its table; what a blocker locks at the very end'));
    // Everything the run would do to the server is in the plan, this too.
    out.push(dim('  an autovacuum worker throttled by vacuum_cost_delay on one of these relations is cancelled and the relation frozen at full speed (--leave-autovacuum: never)'));
    const shown = plan.order.slice(0, rows);
    const dbWidth = Math.max(8, ...shown.map((r) => r.database.length));
    const relWidth = Math.min(60, Math.max(8, ...shown.map((r) => r.relation.length)));
    out.push(dim(`  ${'#'.padStart(4)}  ${'zone'.padEnd(20)}  ${'database'.padEnd(dbWidth)}  ${'relation'.padEnd(relWidth)}  ${'XID age'.padStart(13)}  ${'MXID age'.padStart(13)}  ${'pages'.padStart(10)}  done by`));
    shown.forEach((r, i) => {
      out.push(
        `  ${String(i + 1).padStart(4)}  ${ZONE_TEXT[r.tier].padEnd(20)}  ${r.database.padEnd(dbWidth)}  ${r.relation.padEnd(relWidth)}  ${formatCount(r.xidAge).padStart(13)}  ${formatCount(r.mxidAge).padStart(13)}  ${formatCount(r.pagesToScan).padStart(10)}  ${estimate(r.endsAt)}` +
          (r.lockedBy ? red(`  locked by ${r.lockedBy}`) : ''),
      );
    });
    if (plan.order.length > shown.length) out.push(dim(`  … ${plan.order.length - shown.length} more (the SQL below lists every one)`));
  }
  for (const c of plan.cannotFreeze) out.push(red(`  cannot freeze ${c.relation} in "${c.database}" (${formatCount(c.xidAge)} XIDs old): ${c.reason}`));
  return out;
}

/** Every VACUUM in order, a `\\connect` wherever the database changes: a person could paste it into psql. */
function sqlSection(plan: FreezePlan, { bold, dim }: Paint): string[] {
  if (plan.order.length === 0) return [];
  const out = ['', bold('SQL') + dim(`  (each session, set at connection: ${plan.sessionSettings.join(' ')})`)];
  let database: string | undefined;
  let block: string[] = [];
  const flush = () => {
    if (database !== undefined) out.push(...inDatabase(database, block.join('\n')).split('\n').map((l) => `  ${l}`));
  };
  for (const r of plan.order) {
    if (r.database !== database) {
      flush();
      database = r.database;
      block = [];
    }
    block.push(`${r.sql};`);
  }
  flush();
  return out;
}

function databaseLine(d: DatabasePlan, red: (t: string) => string): string {
  const zone = d.zone === 'stop' ? red(ZONE_TEXT.stop) : ZONE_TEXT[d.zone];
  const head = `${formatCount(d.xidAge).padStart(13)} XIDs  ${formatCount(d.mxidAge).padStart(13)} MXIDs  ${zone.padEnd(20)}`;
  if (d.relations === 0 && d.reachesTarget) return `${head}  nothing to freeze`;
  const work = `${d.relations} relation(s), ${formatCount(d.pagesToScan)} pages`;
  if (d.reachesTarget) return `${head}  ${work}; under the target after about ${estimate(d.underTargetAt ?? 0)}`;
  const stays = `would stay at ${formatCount(d.reachableXidAge!)} XIDs: ${d.heldBy}`;
  return `${head}  ${work}; ${red(stays)}${d.zone === 'stop' && !d.leavesStopZone ? red(' (still in the stop zone)') : d.zone === 'stop' ? ` (out of the stop zone after about ${estimate(d.outOfStopZoneAt ?? 0)})` : ''}`;
}

function estimate(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}
