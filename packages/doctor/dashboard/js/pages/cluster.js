// #/cluster/NAME?range=6h — one cluster: status, charts over the chosen range, open findings, the finding timeline.
import { api } from '../api.js';
import { mountChart } from '../chart.js';
import { h, replace } from '../dom.js';
import { formatAgo, formatWhen } from '../format.js';
import { findingCard } from '../parts/finding-card.js';
import { logEventsView } from '../parts/log-events.js';
import { findingTimeline } from '../parts/timeline.js';
import { clusterHref, every } from '../router.js';
import { SEVERITIES, emptyState, errorBox, pageHeader, severityCounts, statusBadge, updatedLine } from '../ui.js';
import { CHARTS } from './cluster-charts.js';

const REFRESH_MS = 15_000;
export const RANGES = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 };

export function renderCluster(main, route, signal) {
  const name = route.name;
  let range = RANGES[route.query.get('range')] ? route.query.get('range') : '1h';
  const updated = h('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
  const status = h('div', { class: 'cluster-status' });
  const since = h('p', { class: 'since-note sub' });
  const picker = rangePicker(range, (next) => {
    range = next;
    history.replaceState(null, '', clusterHref(name, new URLSearchParams({ range })));
    void refresh();
  });
  const charts = CHARTS.map((c) => chartCard(c));
  const findings = h('div', { class: 'findings' }, emptyState('Loading…'));
  const timeline = h('div', {}, emptyState('Loading…'));
  const logEvents = h('div', {}, emptyState('Loading…'));
  replace(main,
    h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Fleet'), ' / ', h('span', { 'aria-current': 'page' }, name)),
    pageHeader(name, picker, updated),
    status,
    since,
    h('section', { 'aria-labelledby': 'charts-title' }, h('h2', { id: 'charts-title', class: 'visually-hidden' }, 'Charts'), h('div', { class: 'chart-grid' }, charts.map((c) => c.card))),
    h('section', { 'aria-labelledby': 'findings-title' }, h('h2', { id: 'findings-title' }, 'Open findings'), findings),
    h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Finding timeline'), timeline),
    h('section', { 'aria-labelledby': 'log-title', 'data-testid': 'server-log' }, h('h2', { id: 'log-title' }, 'Server log'), logEvents),
  );

  let generation = 0;
  async function refresh() {
    const mine = ++generation;
    const to = Date.now();
    const current = () => mine === generation && !signal.aborted;
    const from = await historyStart(name, to - RANGES[range], to);
    let appAttached;
    const ctx = { cluster: name, from, to, appAttached: () => (appAttached ??= api.series(name, 'mvcc_app_open_transactions', from, to).then((r) => r.series.length > 0)) };
    // The findings first (the daemon answers them from memory): an unreachable cluster's empty charts say so.
    const findingsBody = await api.findings(name).then((body) => {
      if (current()) showFindings(body);
      return body;
    }, (error) => ({ error }));
    const down = findingsBody.up === false;
    const tasks = [
      findingsBody.error ? Promise.reject(findingsBody.error) : Promise.resolve(),
      api.events(name, from, to).then((body) => current() && replace(timeline, findingTimeline(body.events, from, to))),
      api.logEvents(name, from, to).then((body) => current() && replace(logEvents, logEventsView(body, from, to))),
      ...charts.map((c) => c.load(ctx).then((result) => current() && c.show(result, from, to, down), (error) => current() && c.fail(error))),
    ];
    const results = await Promise.allSettled(tasks);
    if (!current()) return;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      replace(status, errorBox(failed.reason));
      if (failed.reason?.status === 400) replace(findings, h('p', {}, h('a', { href: '#/' }, 'Back to the fleet')));
    }
    updated.textContent = updatedLine();
    since.textContent = from > to - RANGES[range] ? `History since ${formatWhen(from)}, less than ${range}: the charts span what there is.` : '';
  }

  function showFindings(body) {
    replace(status,
      statusBadge(body.up),
      body.observed_at ? h('span', { class: 'sub' }, ` observed ${formatAgo(Date.parse(body.observed_at))}`) : null,
      body.report?.server ? h('span', { class: 'sub' }, ` · PostgreSQL ${body.report.server.version}`) : null,
      body.report?.xid_rate ? h('span', { class: 'sub' }, ` · ${body.report.xid_rate.xidsPerSecond.toFixed(1)} XIDs/s`) : null,
      body.report ? [' ', severityCounts(body.report.summary)] : null,
      body.error ? h('div', { class: 'error-line' }, body.error) : null,
    );
    const open = [...body.open].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || Date.parse(a.opened_at) - Date.parse(b.opened_at));
    replace(findings, open.length ? open.map(findingCard) : emptyState(body.up === false ? 'Nothing can be seen while the cluster is unreachable.' : 'No open finding: nothing is wrong with MVCC here right now.'));
  }

  every(REFRESH_MS, signal, refresh);
}

/**
 * Where the charts start: the range's start, or a little before the cluster's first observation when the history is
 * younger than the range (a daemon started minutes ago draws its minutes across the width, not as a sliver).
 */
async function historyStart(name, from, to) {
  try {
    const { series } = await api.series(name, 'mvcc_up', from, to);
    const first = Math.min(...series.map((x) => x.points[0]?.[0] ?? Infinity));
    if (!Number.isFinite(first)) return from;
    return Math.floor(Math.max(from, first - Math.max(10_000, (to - first) * 0.05)));
  } catch {
    return from;
  }
}

function rangePicker(initial, onChange) {
  return h('fieldset', { class: 'range-picker' },
    h('legend', { class: 'visually-hidden' }, 'Time range'),
    Object.keys(RANGES).map((key) =>
      h('label', {},
        h('input', { type: 'radio', name: 'range', value: key, checked: key === initial, onchange: () => onChange(key) }),
        h('span', {}, key),
      ),
    ),
  );
}

/** A chart's card: title, optional scale toggle, the drawing, and a note; drawn again on each refresh. */
function chartCard(def) {
  const body = h('div', { class: 'chart-body' }, emptyState('Loading…'));
  const note = h('p', { class: 'chart-note' });
  let chart;
  let fit = 'limits';
  let lastSpec;
  const tools = def.scaleToggle
    ? h('div', { class: 'scale-toggle', role: 'group', 'aria-label': 'Value scale' },
        ['limits', 'data'].map((mode) => h('button', { type: 'button', 'aria-pressed': String(mode === fit), 'data-mode': mode, onclick: (event) => setFit(mode, event.currentTarget.parentElement) }, mode === 'limits' ? 'to limits' : 'to data')),
      )
    : null;
  function setFit(mode, group) {
    fit = mode;
    for (const b of group.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    if (lastSpec) chart?.update({ ...lastSpec, fit });
  }
  const card = h('section', { class: `card chart-card${def.wide ? ' wide' : ''}`, 'data-testid': `chart-${def.id}`, 'aria-label': def.title },
    h('header', { class: 'card-head' }, h('h3', {}, def.title), tools),
    body,
    note,
  );
  return {
    card,
    load: def.load,
    show(result, from, to, down) {
      lastSpec = { title: def.title, unit: def.unit, from, to, ...result.spec, fit };
      if (down) lastSpec.empty = 'No data in this range: the cluster is unreachable.';
      if (chart) chart.update(lastSpec);
      else chart = mountChart(body, lastSpec);
      note.textContent = result.note ?? '';
    },
    fail(error) {
      chart?.destroy();
      chart = undefined;
      replace(body, errorBox(error));
    },
  };
}
