import { formatBytes, formatCount } from '../report/format.js';
import type { SalvagePlan } from './salvage-plan.js';
import type { SalvageResult } from './salvage-run.js';

/** The plan for a person: what is lost, what will be copied and how, and the swap that follows. */
export function renderSalvagePlan(plan: SalvagePlan, { sql = true }: { sql?: boolean } = {}): string {
  const out: string[] = [];
  const where = plan.into ? `into the new table ${plan.into}` : `into the COPY file ${plan.file}`;
  out.push(`mvcc-doctor corruption salvage — ${plan.table} in "${plan.database}" (PostgreSQL ${plan.server.version})`);
  if (plan.blocks_lost === 0 && plan.tuples_lost === 0) out.push('Every block reads: nothing is lost; the copy is whole.');
  for (const block of plan.scan.blocks) {
    const what = block.lost === 'page' ? `block ${block.block}` : `block ${block.block}, tuple(s) ${(block.tuples ?? []).map((t) => t.offset).join(', ')}`;
    out.push(`  lost: ${what}: ${block.error.message}${block.error.sqlstate ? ` (SQLSTATE ${block.error.sqlstate})` : ''}`);
  }
  out.push(
    `Copies ${formatCount(plan.rows_readable)} readable rows in ${formatCount(plan.scan.readable.length)} ctid range(s) ${where}; ` +
      `${formatCount(plan.blocks_lost)} block(s) and ${formatCount(plan.tuples_lost)} tuple(s) are lost. ${plan.table} is only read.`,
  );
  if (sql) {
    out.push('', plan.into ? 'Runs, in one transaction:' : 'Runs (read-only, no transaction ID):');
    const shown = plan.statements.slice(0, 12);
    for (const statement of shown) out.push(`  ${statement};`);
    if (plan.statements.length > shown.length) out.push(`  … ${formatCount(plan.statements.length - shown.length)} more (--json lists them all)`);
  }
  out.push('', 'Then, once the copy is checked (run by hand; nothing here is run by mvcc-doctor):', ...plan.swap.map((s) => `  ${s}`));
  for (const note of plan.notes) out.push(`Note: ${note}.`);
  return `${out.join('\n')}\n`;
}

export function renderSalvageResult(result: SalvageResult): string {
  const where = result.into ? `into ${result.into}` : `into ${result.file} (${formatBytes(result.bytes ?? 0)})`;
  const drift = result.rows_saved !== result.rows_readable ? ` (the scan had found ${formatCount(result.rows_readable)}: the table changed in between)` : '';
  return `\nSaved ${formatCount(result.rows_saved)} rows ${where} in ${result.seconds.toFixed(1)}s${drift}; ${formatCount(result.blocks_lost)} block(s) and ${formatCount(result.tuples_lost)} tuple(s) lost.\n`;
}
