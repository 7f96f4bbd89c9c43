// One finding as an on-call engineer reads it: what, since when, where in the app's code, the proof, why it
// matters, and the fix to copy.
import { h } from '../dom.js';
import { formatAgo, formatDateTime } from '../format.js';
import { severityBadge } from '../ui.js';
import { copyButton } from './copy-button.js';

/** "database postgres · table public.orders · pid 123". */
export function subjectText(subject = {}) {
  const parts = [];
  if (subject.database) parts.push(['database', subject.database]);
  if (subject.table) parts.push(['table', subject.schema ? `${subject.schema}.${subject.table}` : subject.table]);
  for (const key of ['pid', 'gid', 'slot', 'standby', 'setting']) if (subject[key] !== undefined) parts.push([key, String(subject[key])]);
  return parts;
}

/** entry: { check, severity, opened_at, finding } from GET /api/findings' `open`. */
export function findingCard(entry) {
  const f = entry.finding;
  const opened = entry.opened_at ? Date.parse(entry.opened_at) : null;
  return h('article', { class: `finding sev-border-${f.severity}`, 'data-check': f.check },
    h('header', { class: 'finding-head' },
      severityBadge(f.severity),
      h('code', { class: 'check-id' }, f.check),
      subjectText(f.subject).map(([k, v]) => h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, k), ' ', v)),
      opened ? h('span', { class: 'since', title: formatDateTime(opened) }, `open since ${formatAgo(opened).replace(/ ago$/, '')}`) : null,
    ),
    h('p', { class: 'finding-summary' }, f.summary),
    f.origin ? originBlock(f.origin) : null,
    evidenceTable(f.evidence ?? []),
    f.why ? h('div', { class: 'why' }, h('h4', {}, 'Why it matters'), h('p', {}, f.why)) : null,
    f.remediation?.length ? fixBlock(f.remediation) : null,
  );
}

/** Where the app opened the transaction: file:line, route, process, and the opening stack on demand. */
function originBlock(origin) {
  const facts = /** @type {[string, unknown][]} */ ([
    origin.origin ? ['code', h('code', { class: 'origin-line' }, origin.origin)] : null,
    origin.route ? ['route', origin.route] : null,
    origin.app ? ['app', origin.app] : null,
    origin.process ? ['process', origin.process] : null,
    origin.traceparent ? ['trace', h('code', {}, origin.traceparent)] : null,
  ].filter(Boolean));
  return h('section', { class: 'origin', 'data-testid': 'finding-origin', 'aria-label': 'Application origin' },
    h('h4', {}, 'Opened by the application'),
    h('dl', {}, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    origin.stack ? h('details', {}, h('summary', {}, 'Opening stack'), h('pre', { class: 'stack' }, origin.stack)) : null,
  );
}

function evidenceTable(rows) {
  if (!rows.length) return null;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return h('div', { class: 'evidence' },
    h('h4', {}, 'Evidence'),
    h('div', { class: 'table-scroll' },
      h('table', {},
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => cell(r[c]))))),
      ),
    ),
  );
}

function cell(value) {
  if (value === null || value === undefined) return h('td', { class: 'muted' }, '–');
  if (typeof value === 'number') return h('td', { class: 'num' }, value.toLocaleString());
  if (typeof value === 'object') return h('td', {}, h('code', {}, JSON.stringify(value)));
  // A long value (a query) wraps in a column of its own width instead of widening the table past the page.
  return String(value).length > 60 ? h('td', { class: 'long' }, h('div', {}, String(value))) : h('td', {}, String(value));
}

function fixBlock(lines) {
  return h('div', { class: 'fix' },
    h('h4', {}, 'Fix ', h('span', { class: 'muted' }, '(safest first)')),
    h('ol', {}, lines.map((line) => h('li', {}, h('div', { class: 'code-block' }, h('pre', {}, h('code', {}, line)), copyButton(line))))),
  );
}
