import { evidenceLine, originText, subjectText, type Report } from './report.js';

/** The same report for a ticket or a chat message. */
export function renderMarkdown(report: Report): string {
  const t = report.target;
  const out: string[] = [
    `# mvcc-doctor check: PostgreSQL ${report.server.version} at ${t.host}:${t.port}`,
    '',
    `${report.summary.critical} critical, ${report.summary.warning} warning, ${report.summary.info} info; ${report.databases_examined.length} database(s) examined.`,
    '',
  ];
  for (const f of report.findings) {
    out.push(`## ${f.severity.toUpperCase()} \`${f.check}\` — ${subjectText(f)}`, '', f.summary, '');
    const origin = originText(f);
    if (origin) out.push(`**Code:** ${origin}`, '');
    out.push(`**Why:** ${f.why}`, '', '**Evidence:**', '');
    for (const row of f.evidence) out.push(`- \`${evidenceLine(row).replace(/`/g, "'")}\``);
    out.push('', '**Fix:**', '', '```sql', ...f.remediation, '```', '');
  }
  if (report.skipped.length) {
    out.push('## Skipped', '');
    for (const s of report.skipped) out.push(`- ${s.what}${s.database ? ` (${s.database})` : ''}: ${s.reason}`);
    out.push('');
  }
  return out.join('\n');
}
