import { formatBytes, formatCount } from '../../report/format.js';
import type { LogSummary } from './log-summary.js';
import { durationMs } from './render-logs-text.js';

const cell = (text: string | number | undefined) => String(text ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** The report as Markdown, for an incident ticket: the same sections as the terminal. */
export function renderLogsMarkdown(summary: LogSummary): string {
  const out: string[] = ['# mvcc-doctor logs', ''];
  const r = summary.read;
  out.push(`${r.files.length} file(s), ${formatBytes(r.bytes)}, ${formatCount(r.records)} records${summary.from ? `, ${summary.from} … ${summary.to}` : ''}.`);
  out.push(`**${formatCount(summary.events)} events**: ${summary.by_severity.critical} critical, ${summary.by_severity.warning} warning, ${summary.by_severity.info} info.`, '');
  out.push('| class | events |', '| --- | ---: |', ...Object.entries(summary.by_class).map(([c, n]) => `| ${c} | ${n} |`), '');
  if (summary.urgent.length > 0) {
    out.push('## Corruption and the stop zone', '', '| time | class | what | where |', '| --- | --- | --- | --- |');
    for (const e of summary.urgent) out.push(`| ${e.time ? new Date(e.time).toISOString() : ''} | ${e.class} | ${cell(e.summary)} | ${cell(`${e.source.file}:${e.source.line}`)} |`);
    out.push('');
  }
  if (summary.deadlocks.length > 0) {
    out.push('## Deadlocks', '', '| count | relation | code |', '| ---: | --- | --- |');
    for (const d of summary.deadlocks) out.push(`| ${d.count} | ${cell(d.relation)} | ${cell(d.origins.join(' and '))} |`);
    out.push('');
  }
  if (summary.lock_waits.length > 0) {
    out.push('## Longest lock waits', '', '| waited | state | lock | on | holders | queue |', '| ---: | --- | --- | --- | --- | --- |');
    for (const w of summary.lock_waits) out.push(`| ${durationMs(w.after_ms)} | ${w.state} | ${w.lock_mode} | ${cell(w.relation ?? w.object)} | ${w.holders.join(', ')} | ${w.queue.join(', ')} |`);
    out.push('');
  }
  if (summary.vacuum_left_behind.length > 0) {
    out.push('## Vacuum left dead tuples behind', '', '| table | runs | not removable (max) | removable cutoff age (max) | likely held by |', '| --- | ---: | ---: | ---: | --- |');
    for (const v of summary.vacuum_left_behind) {
      const held = (v.held_by ?? []).map((h) => `pid ${h.pid ?? '?'} ${h.class}${h.origin?.origin ? ` (${h.origin.origin})` : ''}`).join('; ');
      out.push(`| ${cell(`${v.database ? `${v.database}.` : ''}${v.relation}`)} | ${v.runs} | ${formatCount(v.not_removable_max)} | ${v.cutoff_age_max === undefined ? '' : formatCount(v.cutoff_age_max)} | ${cell(held)} |`);
    }
    out.push('');
  }
  if (summary.wraparound.length > 0) {
    out.push('## Wraparound warnings', '', '| database | XIDs left, first | XIDs left, last | warnings |', '| --- | ---: | ---: | ---: |');
    for (const w of summary.wraparound) out.push(`| ${cell(w.database)} | ${formatCount(w.remaining_first)} | ${formatCount(w.remaining_last)} | ${w.warnings} |`);
    out.push('');
  }
  if (summary.statements.calls > 0) {
    out.push('## Statements by total time', '', '| total | calls | mean | statement | code |', '| ---: | ---: | ---: | --- | --- |');
    for (const e of summary.statements.statements.slice(0, 20)) out.push(`| ${durationMs(e.total_ms)} | ${e.calls} | ${e.mean_ms.toFixed(1)} ms | \`${cell(e.query.slice(0, 200))}\` | ${cell(e.origin?.origin)} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
