import { evidenceLine, originText, stackFrames, subjectText, type Report } from './report.js';

export interface TerminalStyle {
  color: boolean;
  /** Evidence rows shown per finding. */
  evidenceRows: number;
  /** Show info findings in full, not one line each. */
  verbose?: boolean;
}

const CODES = { red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** A report a person reads in seconds during an incident: most severe first, the fix right under the cause. */
export function renderTerminal(report: Report, style: TerminalStyle): string {
  const paint = (code: keyof typeof CODES, text: string) => (style.color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text);
  const label = { critical: paint('red', 'CRITICAL'), warning: paint('yellow', 'WARNING '), info: paint('cyan', 'INFO    ') };
  const lines: string[] = [];
  const t = report.target;
  lines.push(
    paint('bold', `mvcc-doctor check — PostgreSQL ${report.server.version}${report.server.in_recovery ? ' (standby)' : ''} at ${t.user}@${t.host}:${t.port}`),
    paint('dim', `${report.databases_examined.length} database(s) examined in ${(report.duration_ms / 1000).toFixed(1)}s; XID rate: ${report.xid_rate_basis}`),
    '',
  );
  if (report.findings.length === 0) lines.push(paint('bold', 'No MVCC problems found.'), '');
  const details = report.findings.filter((f) => style.verbose || f.severity !== 'info');
  const brief = report.findings.filter((f) => !details.includes(f));
  for (const f of details) {
    lines.push(`${label[f.severity]} ${paint('bold', f.check)}  ${paint('dim', subjectText(f))}`);
    lines.push(`  ${f.summary}`);
    const origin = originText(f);
    if (origin) lines.push(`  ${paint('bold', 'code:')} ${origin}`);
    for (const frame of stackFrames(f.origin?.stack)) lines.push(paint('dim', `        ${frame}`));
    lines.push(paint('dim', `  why: ${f.why}`));
    for (const row of f.evidence.slice(0, style.evidenceRows)) lines.push(paint('dim', `  · ${evidenceLine(row)}`));
    if (f.evidence.length > style.evidenceRows) lines.push(paint('dim', `  · … ${f.evidence.length - style.evidenceRows} more (--json shows all)`));
    lines.push(`  ${paint('bold', 'fix:')}`);
    for (const step of f.remediation) lines.push(...step.split('\n').map((l) => `    ${l}`));
    lines.push('');
  }
  // Info findings are context, not alarms: one line each unless --verbose.
  for (const f of brief) lines.push(`${label.info} ${paint('bold', f.check)}  ${f.summary}`);
  if (brief.length) lines.push('');
  for (const s of report.skipped) lines.push(paint('yellow', `skipped ${s.what}${s.database ? ` in "${s.database}"` : ''}: ${s.reason}`));
  const { critical, warning, info } = report.summary;
  lines.push(`${critical} critical, ${warning} warning, ${info} info — exit ${report.exit_code}`);
  return `${lines.join('\n')}\n`;
}
