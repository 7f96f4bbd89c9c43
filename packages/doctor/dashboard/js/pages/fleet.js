// #/ — every watched cluster in one table, the worst first, refreshed every 15 s.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { formatAgo, formatCount, formatSeconds, formatShare } from '../format.js';
import { clusterHref, every } from '../router.js';
import { SEVERITIES, emptyState, errorBox, pageHeader, severityBadge, severityCounts, statusBadge, updatedLine } from '../ui.js';

const REFRESH_MS = 15_000;

export function renderFleet(main, signal) {
  const updated = h('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
  const body = h('div', { class: 'fleet' });
  replace(main, pageHeader('Fleet', updated), body);
  every(REFRESH_MS, signal, async () => {
    try {
      const { clusters } = await api.clusters();
      if (signal.aborted) return;
      replace(body, fleetSummary(clusters), clusters.length ? fleetTable(clusters) : emptyState('No cluster is watched: start serve with --target NAME=postgresql://…'));
      updated.textContent = updatedLine();
    } catch (error) {
      if (!signal.aborted) replace(body, errorBox(error));
    }
  });
}

/** Unreachable first, then by the worst finding, then the oldest XID age. */
function rank(c) {
  const worst = c.worst_finding ? SEVERITIES.indexOf(c.worst_finding.severity) : SEVERITIES.length;
  return [c.up === false ? 0 : 1, worst, -(c.oldest_database?.share_of_xid_space ?? 0)];
}

function compare(a, b) {
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return a.name.localeCompare(b.name);
}

function fleetSummary(clusters) {
  const down = clusters.filter((c) => c.up === false).length;
  const totals = { critical: 0, warning: 0, info: 0 };
  for (const c of clusters) for (const sev of SEVERITIES) totals[sev] += c.summary?.[sev] ?? 0;
  return h('p', { class: 'fleet-summary' },
    h('span', {}, `${clusters.length} cluster${clusters.length === 1 ? '' : 's'}`),
    down ? h('span', { class: 'sev-critical-text' }, `${down} unreachable`) : h('span', { class: 'ok-text' }, 'all reachable'),
    severityCounts(totals),
  );
}

function fleetTable(clusters) {
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'fleet-table' },
      h('caption', { class: 'visually-hidden' }, 'Watched clusters, the most urgent first'),
      h('thead', {}, h('tr', {}, ['Cluster', 'Status', 'Worst finding', 'Oldest XID age', 'Nearest limit', 'Open findings'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...clusters].sort(compare).map(fleetRow)),
    ),
  );
}

function fleetRow(c) {
  const observed = c.last_observation_at ? Date.parse(c.last_observation_at) : null;
  return h('tr', { 'data-cluster': c.name, class: c.up === false ? 'row-down' : null },
    h('th', { scope: 'row' },
      h('a', { href: clusterHref(c.name), class: 'cluster-link' }, c.name),
      h('div', { class: 'sub' }, c.target),
      c.server ? h('div', { class: 'sub' }, `PostgreSQL ${c.server.version}${c.server.in_recovery ? ' (standby)' : ''}`) : null,
    ),
    h('td', {},
      statusBadge(c.up),
      c.error ? h('div', { class: 'error-line' }, c.error) : null,
      h('div', { class: 'sub' }, observed ? `observed ${formatAgo(observed)}` : 'not observed yet'),
    ),
    h('td', { class: 'worst' },
      c.worst_finding
        ? [h('div', {}, severityBadge(c.worst_finding.severity), ' ', h('code', {}, c.worst_finding.check)), h('div', { class: 'clamp' }, c.worst_finding.summary)]
        : h('span', { class: c.up ? 'ok-text' : 'muted' }, c.up ? 'No findings' : '–'),
    ),
    h('td', {}, xidBar(c.oldest_database)),
    h('td', {}, eta(c)),
    h('td', {}, severityCounts(c.summary)),
  );
}

/** The oldest database's age as a share of the 2³¹ XID space: at 100% the server stops assigning XIDs. */
function xidBar(oldest) {
  if (!oldest) return h('span', { class: 'muted' }, '–');
  const share = Math.min(1, oldest.share_of_xid_space);
  const level = share >= 0.75 ? 'critical' : share >= 0.1 ? 'warning' : 'ok';
  return h('div', { class: 'xid-cell' },
    h('div', { class: `bar bar-${level}`, role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': (share * 100).toFixed(4), 'aria-label': `XID age of ${oldest.database}: ${formatShare(share)} of the XID space` },
      h('div', { class: 'bar-fill', style: `width: ${Math.max(share > 0 ? 0.5 : 0, share * 100)}%` }),
    ),
    h('div', { class: 'sub' }, h('b', {}, formatShare(share)), ` · ${oldest.database} · ${formatCount(oldest.xid_age)} XIDs`),
  );
}

function eta(c) {
  const rate = c.xid_rate ? `${formatCount(c.xid_rate.xidsPerSecond)} XIDs/s` : null;
  if (!c.nearest_eta) return h('div', {}, h('span', { class: 'muted', title: 'No forecast yet: it needs some history of XID consumption' }, 'no forecast'), rate ? h('div', { class: 'sub' }, rate) : null);
  const { database, limit, seconds } = c.nearest_eta;
  return h('div', {}, h('b', {}, formatSeconds(seconds)), h('div', { class: 'sub' }, `${database} → ${limit}`), rate ? h('div', { class: 'sub' }, rate) : null);
}
