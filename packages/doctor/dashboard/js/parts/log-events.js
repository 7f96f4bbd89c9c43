// The server log's events on the cluster's timeline: one row per class with a mark at each event (same time axis as
// the charts and the finding timeline), then the newest events in words with their application origin.
import { h } from '../dom.js';
import { formatWhen, formatTick } from '../format.js';
import { timeTicks } from '../ticks.js';
import { SEVERITIES, emptyState, severityBadge } from '../ui.js';

const MAX_LISTED = 30;
const MAX_MARKS = 400;

/** body: GET /api/log-events' answer ({ log, events }, newest first). */
export function logEventsView(body, from, to) {
  const { log, events } = body;
  if (!log) return emptyState('This cluster\'s server log is not read (--log CLUSTER=off).');
  const source = log.source === 'server' ? 'the server log, read through the connection' : log.path;
  const state = log.following
    ? h('p', { class: 'sub log-state', 'data-testid': 'log-state' }, `Reading ${source}${log.error ? ` (last poll: ${log.error})` : ''}.`)
    : h('p', { class: 'error-line log-state', 'data-testid': 'log-state' }, `Not reading ${source}: ${log.error ?? 'starting'}`);
  if (!events.length) return h('div', {}, state, emptyState('No event in the server log in this range.'));
  return h('div', {}, state, classStrip(events, from, to), newest(events));
}

function classStrip(events, from, to) {
  const pct = (t) => `${(((Math.min(to, Math.max(from, t)) - from) / (to - from)) * 100).toFixed(3)}%`;
  const byClass = new Map();
  for (const e of events) {
    if (!byClass.has(e.class)) byClass.set(e.class, []);
    byClass.get(e.class).push(e);
  }
  const worst = (list) => Math.min(...list.map((e) => SEVERITIES.indexOf(e.severity)));
  const classes = [...byClass].sort((a, b) => worst(a[1]) - worst(b[1]) || b[1].length - a[1].length);
  const { ticks, step } = timeTicks(from, to, 6);
  return h('div', { class: 'timeline', 'data-testid': 'log-strip' },
    h('div', { class: 'timeline-axis', 'aria-hidden': 'true' }, h('div', {}), h('div', { class: 'timeline-ticks' }, ticks.filter((t) => (t - from) / (to - from) < 0.97).map((t) => h('span', { style: `left: ${pct(t)}` }, formatTick(t, step))))),
    h('ol', { class: 'timeline-rows' }, classes.map(([cls, list]) =>
      h('li', { class: 'timeline-row', 'data-class': cls },
        h('div', { class: 'timeline-label' }, severityBadge(SEVERITIES[worst(list)]), ' ', h('code', {}, cls), ' ', h('span', { class: 'sub' }, `${list.length}${list.length === 1 ? ' event' : ' events'}`)),
        h('div', { class: 'timeline-track' },
          list.slice(0, MAX_MARKS).filter((e) => e.time !== undefined).map((e) =>
            h('div', { class: `log-mark sev-bg-${e.severity}`, style: `left: ${pct(e.time)}`, title: `${formatWhen(e.time)} ${e.summary}` }),
          ),
        ),
      ),
    )),
  );
}

function newest(events) {
  return h('ol', { class: 'log-events', 'data-testid': 'log-events' }, events.slice(0, MAX_LISTED).map((e) =>
    h('li', { class: 'log-event', 'data-class': e.class },
      h('div', { class: 'log-event-head' },
        h('span', { class: 'sub' }, e.time === undefined ? 'time unknown' : formatWhen(e.time)), ' ',
        severityBadge(e.severity), ' ', h('code', {}, e.class),
        e.database ? h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, 'database'), ' ', e.database) : null,
        e.pid !== undefined ? h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, 'pid'), ' ', String(e.pid)) : null,
      ),
      h('p', { class: 'log-event-summary' }, e.summary),
      e.origin ? h('p', { class: 'log-event-origin', 'data-testid': 'log-origin' }, 'from ',
        e.origin.origin ? h('code', { class: 'origin-line' }, e.origin.origin) : null,
        e.origin.route ? ` ${e.origin.route}` : null,
        e.origin.app ? h('span', { class: 'sub' }, ` (${e.origin.app})`) : null,
      ) : null,
    ),
  ));
}
