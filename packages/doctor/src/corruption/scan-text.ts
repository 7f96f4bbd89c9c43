import { formatCount } from '../report/format.js';
import { corruptionScanCommand, salvagePlanCommand } from './next-step.js';
import type { BadBlock, CorruptionScan, ReadableRange, RelationScan } from './scan-report.js';

const METHOD: Record<NonNullable<RelationScan['method']>, string> = {
  'tid-range': 'TID range probes',
  'tid-list': 'TID list probes',
  'index-scan': 'an index-only scan',
  amcheck: 'amcheck',
};

/** The scan for a person: what is corrupt and where, what reads around it, what to do next; clean relations are counted, not listed. */
export function renderScan(scan: CorruptionScan, { color = false }: { color?: boolean } = {}): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const out: string[] = [];
  const t = scan.target;
  out.push(paint(1, `mvcc-doctor corruption scan — PostgreSQL ${scan.server.version}${scan.server.in_recovery ? ' (standby)' : ''} at ${t.user}@${t.host}:${t.port}`));
  if (scan.server.data_checksums === 'off') out.push(paint(2, 'Data checksums are off: a damaged page is found only when its contents cannot be decoded.'));
  for (const db of scan.databases) {
    const failures = db.checksum_failures ? `${formatCount(db.checksum_failures)} checksum failure(s), the last at ${db.checksum_last_failure ?? 'an unknown time'}` : 'no checksum failures counted';
    const amcheck = db.amcheck.reason ? `amcheck: ${db.amcheck.reason}` : 'amcheck: heap and B-tree checks';
    out.push(`Database "${db.database}": ${formatCount(db.relations_scanned)} relation(s) read; ${failures}; ${amcheck}.`);
  }
  for (const relation of scan.relations.filter((r) => r.status !== 'clean')) out.push('', ...renderRelation(relation, paint));
  const s = scan.summary;
  out.push(
    '',
    paint(
      s.corrupt_relations > 0 ? 31 : s.unverified_relations > 0 ? 33 : 32,
      `Read ${formatCount(s.relations_scanned)} relation(s): ${formatCount(s.corrupt_relations)} corrupt (${formatCount(s.bad_blocks)} bad block(s), ${formatCount(s.bad_tuples)} bad tuple(s)), ${formatCount(s.unverified_relations)} not verified.`,
    ) + ` ${formatCount(s.rows_readable)} rows readable; ${formatCount(s.probes)} probes in ${(scan.duration_ms / 1000).toFixed(1)}s.`,
  );
  for (const skip of scan.skipped) out.push(paint(2, `Skipped ${skip.what}: ${skip.reason}.`));
  return `${out.join('\n')}\n`;
}

function renderRelation(r: RelationScan, paint: (code: number, text: string) => string): string[] {
  const label = r.status === 'corrupt' ? paint(31, 'CORRUPT') : paint(33, 'NOT VERIFIED');
  const what = r.kind === 'index' ? `index ${r.relation} of ${r.table}` : r.relation;
  const how = r.method ? `, ${METHOD[r.method]}` : '';
  const lines = [`${label} ${what} in "${r.database}" (${formatCount(r.pages)} blocks${how}, ${formatCount(r.probes)} probe(s))`];
  for (const block of r.blocks) {
    lines.push(`  ${describeBlock(block)}`);
    if (r.kind === 'table') lines.push(paint(2, `    readable around it: ${around(r.readable, block)}`));
  }
  for (const f of r.amcheck.slice(0, 20)) lines.push(`  amcheck: block ${f.block}${f.offset !== null ? `, tuple ${f.offset}` : ''}${f.attnum !== null ? `, column ${f.attnum}` : ''}: ${f.message}`);
  if (r.amcheck.length > 20) lines.push(`  … and ${formatCount(r.amcheck.length - 20)} more amcheck findings (--json lists them all)`);
  if (r.unread_blocks.length > 0) lines.push(`  not read in time: block(s) ${r.unread_blocks.slice(0, 20).join(', ')}${r.unread_blocks.length > 20 ? ', …' : ''} (raise --statement-timeout)`);
  for (const note of r.notes) lines.push(paint(2, `  note: ${note}`));
  if (r.kind === 'table' && r.status === 'corrupt') {
    lines.push(`  ${formatCount(r.rows_readable)} rows readable in ${formatCount(r.readable.length)} range(s).`);
    lines.push(`  next: ${salvagePlanCommand(r.database, r.relation, `"${r.schema.replace(/"/g, '""')}"."${`${r.name}_salvaged`.replace(/"/g, '""')}"`)}`);
  } else if (r.kind === 'index' && r.status === 'corrupt') {
    lines.push(`  next: REINDEX INDEX ${r.relation};  -- rebuilds it from its table (needs a new XID: not in the stop zone; VACUUM with INDEX_CLEANUP off until then)`);
  } else if (r.status === 'unverified' && r.kind === 'table') {
    lines.push(paint(2, `  again: ${corruptionScanCommand(r.database, r.relation)}`));
  }
  return lines;
}

function describeBlock(block: BadBlock): string {
  const error = `${block.error.message}${block.error.sqlstate ? ` (SQLSTATE ${block.error.sqlstate})` : ''}`;
  if (block.lost === 'page') return `block ${block.block}: ${error}`;
  const offsets = (block.tuples ?? []).map((t) => t.offset);
  return `block ${block.block}, tuple(s) ${offsets.join(', ')}: ${error}`;
}

/** The readable ranges just before and just after what a bad block lost. */
function around(ranges: readonly ReadableRange[], block: BadBlock): string {
  const tid = (text: string) => (/^\((\d+),(\d+)\)$/.exec(text) ?? []).slice(1).map(Number) as [number, number];
  const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  const offsets = (block.tuples ?? []).map((t) => t.offset);
  const lostFrom: [number, number] = [block.block, offsets.length > 0 ? Math.min(...offsets) : 0];
  const lostTo: [number, number] = offsets.length > 0 ? [block.block, Math.max(...offsets) + 1] : [block.block + 1, 0];
  const before = [...ranges].reverse().find((r) => cmp(tid(r.to), lostFrom) <= 0);
  const after = ranges.find((r) => cmp(tid(r.from), lostTo) >= 0);
  const show = (r?: ReadableRange) => (r ? `${r.from}..${r.to} ${formatCount(r.rows)} rows` : 'none');
  return `before ${show(before)}; after ${show(after)}`;
}
