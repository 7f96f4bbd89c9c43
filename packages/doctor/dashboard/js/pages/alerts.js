// #/alerts — alerts firing now, and the history of notifications (firing and resolved).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { formatWhen } from '../format.js';
import { clusterHref, every } from '../router.js';
import { emptyState, errorBox, pageHeader, severityBadge, updatedLine } from '../ui.js';

const REFRESH_MS = 15_000;

export function renderAlerts(main, signal) {
  const updated = h('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
  const active = h('div', {}, emptyState('Loading…'));
  const history = h('div', {}, emptyState('Loading…'));
  replace(main,
    pageHeader('Alerts', updated),
    h('section', { 'aria-labelledby': 'active-title' }, h('h2', { id: 'active-title' }, 'Firing now'), active),
    h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'History'), history),
  );
  every(REFRESH_MS, signal, async () => {
    try {
      const body = await api.alerts();
      if (signal.aborted) return;
      replace(active, body.active.length ? alertTable(body.active, false) : emptyState('No alert is firing.'));
      replace(history, body.history.length ? alertTable(body.history, true) : emptyState('No alert has been sent yet.'));
      updated.textContent = updatedLine();
    } catch (error) {
      if (!signal.aborted) replace(active, errorBox(error));
    }
  });
}

/** The alerter's records and Alertmanager-style alerts both carry labels, annotations and startsAt. */
function alertTable(alerts, withStatus) {
  const headings = [withStatus ? 'Recorded' : null, withStatus ? 'Status' : null, 'Alert', 'Cluster', 'Severity', 'Summary', 'Started', 'Ended'].filter(Boolean);
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'alerts-table' },
      h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, alerts.map((a) => {
        const labels = a.labels ?? {};
        const cluster = a.cluster ?? labels.cluster;
        const ends = time(a.endsAt);
        return h('tr', {},
          withStatus ? h('td', {}, formatWhen(time(a.at))) : null,
          withStatus ? h('td', {}, h('span', { class: `badge ${a.status === 'resolved' ? 'status-up' : 'status-down'}` }, a.status ?? 'firing')) : null,
          h('th', { scope: 'row' }, h('code', {}, a.name ?? labels.alertname ?? '?')),
          h('td', {}, cluster ? h('a', { href: clusterHref(cluster) }, cluster) : '–'),
          h('td', {}, labels.severity ? severityBadge(labels.severity) : '–'),
          h('td', { class: 'long' }, a.annotations?.summary ?? a.annotations?.description ?? ''),
          h('td', {}, formatWhen(time(a.startsAt))),
          h('td', {}, ends && ends > 0 && ends < Date.now() + 1000 ? formatWhen(ends) : '–'),
        );
      })),
    ),
  );
}

/** Epoch ms from a number or an ISO string. */
function time(value) {
  if (value === undefined || value === null) return null;
  return typeof value === 'number' ? value : Date.parse(value);
}
