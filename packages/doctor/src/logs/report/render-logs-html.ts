import type { LogEvent } from '../log-event.js';
import type { LogSummary } from './log-summary.js';
import { renderLogsMarkdown } from './render-logs-markdown.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * One self-contained HTML file (no script, no network): a bar chart of events per hour, drawn as SVG,
 * the report's tables, and the events themselves.
 */
export function renderLogsHtml(summary: LogSummary, events: LogEvent[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mvcc-doctor logs</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap}.critical{color:#b42318}.warning{color:#9a6700}.info{color:#0969da}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}td,th{border-color:#30363d}}
</style></head><body>
<h1>mvcc-doctor logs</h1>
${timelineSvg(summary)}
<pre>${escape(renderLogsMarkdown(summary))}</pre>
<h2>Events</h2>
<table><thead><tr><th>time</th><th>class</th><th>severity</th><th>what</th><th>code</th><th>where</th></tr></thead><tbody>
${events
  .slice(0, 5000)
  .map(
    (e) =>
      `<tr><td>${e.time ? new Date(e.time).toISOString() : ''}</td><td>${escape(e.class)}</td><td class="${e.severity}">${e.severity}</td><td>${escape(e.summary)}</td><td>${escape(e.origin?.origin ?? '')}</td><td>${escape(`${e.source.file}:${e.source.line}`)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
</body></html>
`;
}

/** Events per hour as bars; a log without times draws nothing. */
function timelineSvg(summary: LogSummary): string {
  const hours = summary.timeline;
  if (hours.length === 0) return '';
  const width = 960;
  const height = 160;
  const bar = Math.max(2, Math.floor(width / hours.length) - 1);
  const totals = hours.map((h) => Object.values(h.counts).reduce((a, b) => a + (b ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bars = hours
    .map((h, i) => {
      const barHeight = Math.round((totals[i]! / max) * (height - 20));
      return `<rect x="${i * (bar + 1)}" y="${height - 20 - barHeight}" width="${bar}" height="${barHeight}" fill="#0969da"><title>${escape(h.hour)}: ${totals[i]} events</title></rect>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="events per hour" viewBox="0 0 ${width} ${height}" width="100%" height="${height}">${bars}
<text x="0" y="${height - 4}" font-size="11" fill="currentColor">${escape(hours[0]!.hour)}</text>
<text x="${width}" y="${height - 4}" font-size="11" text-anchor="end" fill="currentColor">${escape(hours.at(-1)!.hour)}</text></svg>
<figcaption>Events per hour (most: ${max})</figcaption></figure>`;
}
