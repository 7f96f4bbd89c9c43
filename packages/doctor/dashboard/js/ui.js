// Small pieces every page shares: severity and status badges, the error and empty states, the "updated" line.
import { h } from './dom.js';
import { formatClock } from './format.js';

export const SEVERITIES = ['critical', 'warning', 'info'];

export function severityBadge(severity) {
  return h('span', { class: `badge sev-${SEVERITIES.includes(severity) ? severity : 'info'}` }, severity);
}

/** up: true, false or null (not observed yet). */
export function statusBadge(up) {
  if (up === null || up === undefined) return h('span', { class: 'badge status-pending' }, 'waiting');
  return h('span', { class: `badge ${up ? 'status-up' : 'status-down'}` }, up ? 'up' : 'unreachable');
}

/** Counts by severity as three chips; a zero is shown muted rather than left out, so columns line up. */
export function severityCounts(summary) {
  if (!summary) return h('span', { class: 'muted' }, '–');
  return h('span', { class: 'counts' }, SEVERITIES.map((sev) => h('span', { class: `count sev-${sev}${summary[sev] ? '' : ' zero'}`, title: `${summary[sev] ?? 0} ${sev}` }, h('b', {}, String(summary[sev] ?? 0)), ` ${sev}`)));
}

export function errorBox(error) {
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, 'Could not load: '), error?.message ?? String(error));
}

export function emptyState(text) {
  return h('p', { class: 'empty' }, text);
}

export function updatedLine(ms = Date.now()) {
  return `Updated ${formatClock(ms)}`;
}

/** A page heading row: the title, and on the right whatever controls the page has. */
export function pageHeader(title, ...right) {
  return h('div', { class: 'page-header' }, h('h1', {}, title), h('div', { class: 'page-tools' }, right));
}
