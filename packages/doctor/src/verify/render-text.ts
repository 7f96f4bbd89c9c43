import { formatCount } from '../report/format.js';
import { evidenceLine } from '../report/report.js';
import type { VerifyGap, VerifySubject } from './verification.js';
import type { VerifyReport } from './verify-report.js';

export interface VerifyTextStyle {
  color: boolean;
  /** Evidence rows shown per finding. */
  evidenceRows: number;
}

const CODES = { red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

/** What a verify finding is about, check's way plus the objects only verify names. */
export function verifySubjectText(s: VerifySubject): string {
  const parts: string[] = [];
  if (s.database) parts.push(`db ${s.database}`);
  if (s.table) parts.push(s.schema ? `${s.schema}.${s.table}` : s.table);
  if (s.constraint) parts.push(`constraint ${s.constraint}`);
  if (s.index && s.index !== s.constraint) parts.push(`index ${s.index}`);
  if (s.sequence) parts.push(`sequence ${s.sequence}`);
  if (s.trigger) parts.push(`trigger ${s.trigger}`);
  if (s.role) parts.push(`role ${s.role}`);
  if (s.file) parts.push(`invariant ${s.file}`);
  if (s.setting) parts.push(s.setting);
  return parts.join(', ');
}

function singular(unit: string): string {
  return unit.replace(/xes$/, 'x').replace(/s$/, '');
}

function gapLine(gap: VerifyGap): string {
  const about = gap.subject ? verifySubjectText(gap.subject) : '';
  return `${gap.verification}${about ? ` (${about})` : ''}: ${gap.reason}`;
}

/** check's report layout: most severe first, the fix under the cause, then what was not looked at. */
export function renderVerifyText(report: VerifyReport, style: VerifyTextStyle): string {
  const paint = (code: keyof typeof CODES, text: string) => (style.color ? `\x1b[${CODES[code]}m${text}\x1b[0m` : text);
  const label = { critical: paint('red', 'CRITICAL'), warning: paint('yellow', 'WARNING '), info: paint('cyan', 'INFO    ') };
  const t = report.target;
  // Several verifications read the same foreign keys: each unit once.
  const units = new Map<string, number>();
  for (const v of report.verifications) units.set(v.unit, Math.max(units.get(v.unit) ?? 0, v.checked));
  const checked = [...units].filter(([, n]) => n > 0).map(([unit, n]) => `${formatCount(n)} ${n === 1 ? singular(unit) : unit}`);
  const lines: string[] = [
    paint('bold', `mvcc-doctor verify — PostgreSQL ${report.server.version}${report.server.in_recovery ? ' (standby)' : ''} at ${t.user}@${t.host}:${t.port}, database "${t.database}"${report.scope.schema ? `, schema "${report.scope.schema}"` : ''}`),
    paint('dim', `checked in ${(report.duration_ms / 1000).toFixed(1)}s: ${checked.length ? checked.join(', ') : 'nothing'}`),
    '',
  ];
  // Only claim what was looked at: amcheck's verdict only when it ran.
  const amcheckRan = report.verifications.some((v) => (v.id === 'index-corruption' || v.id === 'heap-corruption') && v.checked > 0);
  if (report.findings.length === 0) {
    lines.push(
      paint('bold', report.unfinished.length === 0 ? `Nothing is wrong: no orphan rows, duplicate keys, lagging sequences, unenforced keys or broken invariants${amcheckRan ? ', and amcheck found no corruption' : ''}.` : 'Nothing wrong found so far, but not every verification finished (see below).'),
      '',
    );
  }
  for (const f of report.findings) {
    lines.push(`${label[f.severity]} ${paint('bold', f.check)}  ${paint('dim', verifySubjectText(f.subject))}`);
    lines.push(`  ${f.summary}`);
    lines.push(paint('dim', `  why: ${f.why}`));
    for (const row of f.evidence.slice(0, style.evidenceRows)) lines.push(paint('dim', `  · ${evidenceLine(row)}`));
    if (f.evidence.length > style.evidenceRows) lines.push(paint('dim', `  · … ${f.evidence.length - style.evidenceRows} more (--json shows all)`));
    lines.push(`  ${paint('bold', 'fix:')}`);
    for (const step of f.remediation) lines.push(...step.split('\n').map((l) => `    ${l}`));
    lines.push('');
  }
  for (const gap of report.unfinished) lines.push(paint('red', `not finished ${gapLine(gap)}`));
  for (const gap of report.skipped) lines.push(paint('yellow', `skipped ${gapLine(gap)}`));
  if (report.unfinished.length || report.skipped.length) lines.push('');
  const { critical, warning, skipped, unfinished } = report.summary;
  lines.push(`${critical} critical, ${warning} warning, ${unfinished} not finished, ${skipped} skipped — exit ${report.exit_code}`);
  return `${lines.join('\n')}\n`;
}
