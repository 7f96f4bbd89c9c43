import { formatBytes, formatCount, formatDuration } from '../../report/format.js';
import type { LogSummary } from './log-summary.js';

/** The terminal report: corruption and the stop zone first, then the timeline, deadlocks, lock waits, vacuum, wraparound, statements. */
export function renderLogsText(summary: LogSummary): string {
  const out: string[] = [];
  const read = summary.read;
  const range = summary.from ? `${summary.from} … ${summary.to}` : 'no times';
  out.push(`mvcc-doctor logs: ${read.files.length} file(s), ${formatBytes(read.bytes)}, ${formatCount(read.lines)} lines, ${formatCount(read.records)} records; ${range}`);
  for (const f of read.files) {
    const what = f.notPostgres ? `not a PostgreSQL log (${f.notPostgres})` : `${f.format ?? 'unknown'}${f.prefix ? ` prefix '${f.prefix}'${f.prefixSource === 'detected' ? ' (detected)' : ''}` : ''}`;
    out.push(`  ${f.file}: ${what}${f.compression ? `, ${f.compression}` : ''}${f.warnings ? `, ${f.warnings} warning(s)` : ''}`);
  }
  if (read.warnings > 0) out.push(`  ${read.warnings} warning(s): ${read.messages.slice(0, 3).join('; ')}`);
  const s = summary.by_severity;
  out.push('', `${formatCount(summary.events)} events: ${s.critical} critical, ${s.warning} warning, ${s.info} info`);
  out.push(`  ${Object.entries(summary.by_class).map(([c, n]) => `${c} ${formatCount(n!)}`).join(', ') || 'none'}`);

  if (summary.urgent.length > 0) {
    out.push('', 'CORRUPTION AND THE STOP ZONE');
    for (const e of summary.urgent) out.push(`  ${e.time ? new Date(e.time).toISOString() : '-'}  ${e.class}  ${e.summary}  (${e.source.file}:${e.source.line})`);
  }
  if (summary.timeline.length > 0) {
    out.push('', 'Timeline (per hour)');
    for (const { hour, counts } of summary.timeline.slice(-48)) {
      out.push(`  ${hour.slice(0, 13).replace('T', ' ')}h  ${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ')}`);
    }
  }
  if (summary.deadlocks.length > 0) {
    out.push('', 'Deadlocks, by relation and the code that took part');
    for (const d of summary.deadlocks.slice(0, 10)) {
      out.push(`  ${d.count}×  ${d.relation}  between ${d.origins.join(' and ')}`);
      for (const q of d.example_queries.slice(0, 2)) out.push(`       ${oneLine(q, 140)}`);
    }
  }
  if (summary.lock_waits.length > 0) {
    out.push('', 'Longest lock waits');
    for (const w of summary.lock_waits) {
      const holders = w.holders.length ? ` held by ${w.holders.join(', ')}${w.queue.length ? `, queue ${w.queue.join(', ')}` : ''}` : '';
      out.push(`  ${durationMs(w.after_ms).padStart(9)}  ${w.state} ${w.lock_mode} on ${w.relation ?? w.object}${holders}${w.pid ? ` (pid ${w.pid})` : ''}`);
    }
  }
  if (summary.vacuum_left_behind.length > 0) {
    out.push('', 'Vacuum left dead tuples behind (a horizon held them)');
    for (const v of summary.vacuum_left_behind) {
      const cutoff = v.cutoff_age_max !== undefined ? `, removable cutoff up to ${formatCount(v.cutoff_age_max)} XIDs old` : '';
      out.push(`  ${v.database ? `${v.database}.` : ''}${v.relation}: ${v.runs} run(s), up to ${formatCount(v.not_removable_max)} dead tuples not yet removable${cutoff}`);
      for (const h of v.held_by ?? []) {
        const code = [h.origin?.app, h.origin?.origin, h.origin?.route].filter(Boolean).join(' ');
        out.push(`    held by pid ${h.pid ?? '?'}${code ? ` (${code})` : ''}: ${h.why}`);
      }
    }
  }
  if (summary.wraparound.length > 0) {
    out.push('', 'Wraparound warnings (XIDs left)');
    for (const w of summary.wraparound) {
      out.push(`  ${w.database}: ${formatCount(w.remaining_first)} → ${formatCount(w.remaining_last)} over ${w.warnings} warning(s)${w.last_time ? `, last ${w.last_time}` : ''}`);
    }
  }
  const st = summary.statements;
  if (st.calls > 0) {
    out.push('', `Statements with a duration: ${formatCount(st.calls)} calls, ${formatDuration(st.total_ms / 1000)} in all; the top by total time`);
    for (const e of st.statements.slice(0, 10)) {
      const origin = e.origin?.origin ? `  [${e.origin.origin}]` : '';
      out.push(`  ${durationMs(e.total_ms).padStart(9)}  ${formatCount(e.calls).padStart(7)} calls  mean ${e.mean_ms.toFixed(1)} ms  ${oneLine(e.query, 100)}${origin}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Milliseconds under ten seconds, else the usual 1m 5s form. */
export function durationMs(ms: number): string {
  return ms < 10_000 ? `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms` : formatDuration(ms / 1000);
}
