import { evidenceLine } from '../report/report.js';
import { verifySubjectText } from './render-text.js';
import type { VerifyReport } from './verify-report.js';

/** The same report for a ticket or the incident's post-mortem. */
export function renderVerifyMarkdown(report: VerifyReport): string {
  const t = report.target;
  const s = report.summary;
  const out: string[] = [
    `# mvcc-doctor verify: database "${t.database}" on PostgreSQL ${report.server.version} at ${t.host}:${t.port}`,
    '',
    `${s.critical} critical, ${s.warning} warning, ${s.unfinished} not finished, ${s.skipped} skipped (exit ${report.exit_code}).`,
    '',
    '| verification | checked | findings | not finished | skipped |',
    '| --- | --- | --- | --- | --- |',
    ...report.verifications.map((v) => `| \`${v.id}\` | ${v.checked} ${v.unit} | ${v.findings} | ${v.unfinished} | ${v.skipped} |`),
    '',
  ];
  for (const f of report.findings) {
    out.push(`## ${f.severity.toUpperCase()} \`${f.check}\` — ${verifySubjectText(f.subject)}`, '', f.summary, '', `**Why:** ${f.why}`, '', '**Evidence:**', '');
    for (const row of f.evidence) out.push(`- \`${evidenceLine(row).replace(/`/g, "'")}\``);
    out.push('', '**Fix:**', '', '```sql', ...f.remediation, '```', '');
  }
  for (const [title, gaps] of [['Not finished', report.unfinished], ['Skipped', report.skipped]] as const) {
    if (gaps.length === 0) continue;
    out.push(`## ${title}`, '');
    for (const g of gaps) out.push(`- \`${g.verification}\`${g.subject ? ` (${verifySubjectText(g.subject)})` : ''}: ${g.reason}`);
    out.push('');
  }
  return out.join('\n');
}
