// Findings opened and closed within the range, one row each: a bar from open to close (or to now) on the same
// time axis as the charts, and the times in words for those who do not read bars.
import { h } from '../dom.js';
import { formatSeconds, formatTick, formatWhen } from '../format.js';
import { timeTicks } from '../ticks.js';
import { SEVERITIES, emptyState, severityBadge } from '../ui.js';
import { subjectText } from './finding-card.js';

const MAX_ROWS = 50;

export function findingTimeline(events, from, to) {
  if (!events.length) return emptyState('No finding was open in this range.');
  const sorted = [...events].sort((a, b) => Number(b.closedAt === undefined) - Number(a.closedAt === undefined) || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || b.openedAt - a.openedAt);
  const pct = (t) => `${(((Math.min(to, Math.max(from, t)) - from) / (to - from)) * 100).toFixed(3)}%`;
  const { ticks, step } = timeTicks(from, to, 6);
  const rows = sorted.slice(0, MAX_ROWS).map((e) => {
    const end = e.closedAt ?? to;
    const label = `${e.check} ${subjectText(e.finding?.subject).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    const when = e.closedAt === undefined
      ? `opened ${formatWhen(e.openedAt)}, still open (${formatSeconds((to - e.openedAt) / 1000)})`
      : `opened ${formatWhen(e.openedAt)}, closed ${formatWhen(e.closedAt)} (${formatSeconds((e.closedAt - e.openedAt) / 1000)})`;
    const left = pct(e.openedAt);
    return h('li', { class: 'timeline-row' },
      h('div', { class: 'timeline-label' }, severityBadge(e.severity), ' ', h('code', {}, e.check), ' ', h('span', { class: 'sub' }, subjectText(e.finding?.subject).map(([k, v]) => `${k} ${v}`).join(' · '))),
      h('div', { class: 'timeline-track', title: `${label}: ${when}` },
        h('div', { class: `timeline-bar sev-bg-${e.severity}${e.closedAt === undefined ? ' open' : ''}`, style: `left: ${left}; width: max(3px, calc(${pct(end)} - ${left}))` }),
      ),
      h('div', { class: 'timeline-when sub' }, when),
    );
  });
  return h('div', { class: 'timeline' },
    h('div', { class: 'timeline-axis', 'aria-hidden': 'true' }, h('div', {}), h('div', { class: 'timeline-ticks' }, ticks.filter((t) => (t - from) / (to - from) < 0.97).map((t) => h('span', { style: `left: ${pct(t)}` }, formatTick(t, step))))),
    h('ol', { class: 'timeline-rows' }, rows),
    sorted.length > MAX_ROWS ? h('p', { class: 'sub' }, `and ${sorted.length - MAX_ROWS} more`) : null,
  );
}
