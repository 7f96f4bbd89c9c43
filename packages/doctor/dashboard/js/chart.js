// A small time-series chart drawn as inline SVG: time axis, value axis in human units, horizontal limit lines,
// dashed forecasts, a legend with the latest values, and a hover (or arrow-key) cursor with a tooltip.
import { h, replace, s } from './dom.js';
import { UNITS, formatDateTime, formatTick } from './format.js';
import { timeTicks, valueTicks } from './ticks.js';

const MARGIN = { top: 14, right: 14, bottom: 26, left: 60 };
const COLORS = 8;

/**
 * Draw a chart into `container` and redraw it when the container's width changes.
 * spec: { title, unit ('xids'|'count'|'bytes'|'seconds'), from, to (epoch ms),
 *         series: [{ name, points: [[ms, value], …] }], limits?: [{ name, value }],
 *         forecasts?: [{ name, points: [[ms, value], [ms, value]] }],
 *         fit?: 'limits' (default: the scale reaches the next limit above the data) | 'data',
 *         empty?: the message when there is nothing to draw, height? }
 */
export function mountChart(container, spec) {
  let current = spec;
  let drawnWidth = 0;
  const redraw = () => {
    drawnWidth = container.clientWidth || 640;
    draw(container, current, drawnWidth);
  };
  const observer = new ResizeObserver(() => {
    if (Math.abs((container.clientWidth || 640) - drawnWidth) > 4) redraw();
  });
  observer.observe(container);
  redraw();
  return {
    update(next) {
      current = next;
      redraw();
    },
    destroy: () => observer.disconnect(),
  };
}

function draw(root, spec, width) {
  const fmt = UNITS[spec.unit] ?? UNITS.count;
  const height = spec.height ?? 220;
  const series = spec.series.filter((ser) => ser.points.length > 0).map((ser, i) => ({ ...ser, color: i % COLORS }));
  if (series.length === 0) {
    replace(root, h('p', { class: 'chart-empty' }, spec.empty ?? 'No data in this range.'));
    return;
  }
  const forecasts = spec.forecasts ?? [];
  const plotW = Math.max(80, width - MARGIN.left - MARGIN.right);
  const plotH = height - MARGIN.top - MARGIN.bottom;
  // A forecast needs room to the right of "now": a quarter of the window.
  const end = forecasts.length ? spec.to + (spec.to - spec.from) / 4 : spec.to;
  const xOf = (t) => MARGIN.left + ((t - spec.from) / (end - spec.from)) * plotW;

  const thinned = series.map((ser) => ({ ...ser, points: thin(ser.points, Math.ceil(plotW / 2)) }));
  const dataMax = Math.max(...series.flatMap((ser) => ser.points.map((p) => p[1])), ...forecasts.flatMap((f) => f.points.map((p) => p[1])));
  const { shown, offScale } = pickLimits(spec.limits ?? [], dataMax, spec.fit ?? 'limits');
  const { top: yMax, ticks } = valueTicks(Math.max(dataMax, ...shown.map((l) => l.value)), spec.unit);
  const yOf = (v) => MARGIN.top + plotH - (v / yMax) * plotH;

  const time = timeTicks(spec.from, end, Math.max(2, Math.floor(plotW / 90)));
  const svg = s('svg', {
    class: 'chart-svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    tabindex: 0,
    'aria-label': `${spec.title}. ${series.map((ser) => `${ser.name}: ${fmt(ser.points[ser.points.length - 1][1])}`).join('; ')}. Arrow keys move the cursor.`,
  });
  svg.append(
    s('g', { class: 'grid' },
      ticks.map((v) => [s('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: yOf(v), y2: yOf(v) }), s('text', { x: MARGIN.left - 6, y: yOf(v), class: 'axis-y' }, fmt(v))]),
      time.ticks.map((t) => [s('line', { x1: xOf(t), x2: xOf(t), y1: MARGIN.top, y2: MARGIN.top + plotH, class: 'grid-x' }), s('text', { x: xOf(t), y: height - 8, class: 'axis-x' }, formatTick(t, time.step))]),
    ),
  );
  if (end > spec.to) svg.append(s('line', { class: 'now', x1: xOf(spec.to), x2: xOf(spec.to), y1: MARGIN.top, y2: MARGIN.top + plotH }), s('text', { class: 'now-label', x: xOf(spec.to) + 4, y: MARGIN.top + plotH - 4 }, 'now'));
  for (const limit of shown) {
    svg.append(
      s('g', { class: `limit limit-${slug(limit.name)}` },
        s('line', { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: yOf(limit.value), y2: yOf(limit.value) }),
        s('text', { x: MARGIN.left + plotW - 4, y: yOf(limit.value) - 4 }, `${limit.name} ${fmt(limit.value)}`),
      ),
    );
  }
  // The first series (the pages put the most urgent first) is drawn last, on top of the others.
  for (const ser of [...thinned].reverse()) {
    const d = pathOf(ser.points, xOf, yOf, gapOf(ser.points, series.find((raw) => raw.name === ser.name).points, (end - spec.from) / plotW));
    svg.append(s('path', { class: `series-line c${ser.color}`, d, 'data-series': ser.name }));
    if (ser.points.length === 1) svg.append(s('circle', { class: `series-dot c${ser.color}`, cx: xOf(ser.points[0][0]), cy: yOf(ser.points[0][1]), r: 3 }));
  }
  for (const f of forecasts) {
    const color = series.find((ser) => ser.name === f.name)?.color ?? 0;
    svg.append(s('path', { class: `forecast c${color}`, d: pathOf(f.points, xOf, yOf, Infinity) }));
  }
  const tooltip = h('div', { class: 'tooltip', role: 'status', hidden: true });
  const plot = h('div', { class: 'plot' }, svg, tooltip);
  attachCursor({ svg, tooltip, series: thinned, xOf, yOf, fmt, plot: { left: MARGIN.left, top: MARGIN.top, width: plotW, height: plotH }, from: spec.from, end });

  const legend = h('ul', { class: 'legend' },
    series.map((ser) => h('li', {}, h('span', { class: `swatch c${ser.color}`, 'aria-hidden': 'true' }), h('span', { class: 'legend-name' }, ser.name), h('span', { class: 'legend-value' }, fmt(ser.points[ser.points.length - 1][1])))),
  );
  const notes = [];
  if (offScale.length) notes.push(`Off the scale: ${offScale.map((l) => `${l.name} ${fmt(l.value)}`).join(', ')}.`);
  replace(root, plot, legend, notes.length ? h('p', { class: 'chart-note chart-offscale' }, notes.join(' ')) : null);
}

/** With fit "limits" the scale reaches the first limit above the data (you see how far away it is); "data" zooms in. */
function pickLimits(limits, dataMax, fit) {
  const sorted = [...limits].sort((a, b) => a.value - b.value);
  let shown;
  if (fit === 'data') shown = sorted.filter((l) => l.value <= dataMax * 1.25);
  else {
    const next = sorted.findIndex((l) => l.value >= dataMax);
    shown = next < 0 ? sorted : sorted.slice(0, next + 1);
  }
  return { shown, offScale: sorted.filter((l) => !shown.includes(l)) };
}

/** Keep the lowest and highest point of each pixel column, so spikes survive a week of 15-second samples. */
function thin(points, buckets) {
  if (points.length <= buckets * 2) return points;
  const t0 = points[0][0];
  const span = points[points.length - 1][0] - t0 || 1;
  const out = [];
  let bucket = -1;
  let lo;
  let hi;
  const flush = () => {
    if (bucket < 0) return;
    if (lo === hi) out.push(lo);
    else out.push(...(lo[0] < hi[0] ? [lo, hi] : [hi, lo]));
  };
  for (const p of points) {
    const b = Math.floor(((p[0] - t0) / span) * buckets);
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = hi = p;
    } else {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
  }
  flush();
  return out;
}

/** A pause longer than three sampling intervals (the daemon was down, the cluster unreachable) breaks the line. */
function gapOf(drawn, raw, msPerPixel) {
  const steps = [];
  for (let i = 1; i < raw.length; i++) steps.push(raw[i][0] - raw[i - 1][0]);
  steps.sort((a, b) => a - b);
  const median = steps.length ? steps[Math.floor(steps.length / 2)] : Infinity;
  return Math.max(median * 3, msPerPixel * 6);
}

function pathOf(points, xOf, yOf, gap) {
  let d = '';
  for (let i = 0; i < points.length; i++) {
    const [t, v] = points[i];
    const move = i === 0 || t - points[i - 1][0] > gap;
    d += `${move ? 'M' : 'L'}${xOf(t).toFixed(1)},${yOf(v).toFixed(1)}`;
  }
  return d;
}

/** The cursor: a vertical rule at the nearest sample, a dot per series, and a tooltip with every value at that time. */
function attachCursor({ svg, tooltip, series, xOf, yOf, fmt, plot, from, end }) {
  const times = [...new Set(series.flatMap((ser) => ser.points.map((p) => p[0])))].sort((a, b) => a - b);
  const rule = s('line', { class: 'cursor', y1: plot.top, y2: plot.top + plot.height, visibility: 'hidden' });
  const dots = series.map((ser) => s('circle', { class: `cursor-dot c${ser.color}`, r: 3.5, visibility: 'hidden' }));
  const overlay = s('rect', { class: 'overlay', x: plot.left, y: plot.top, width: plot.width, height: plot.height });
  svg.append(rule, ...dots, overlay);
  let index = -1;

  const show = (i) => {
    index = Math.max(0, Math.min(times.length - 1, i));
    const t = times[index];
    const px = xOf(t);
    rule.setAttribute('x1', px);
    rule.setAttribute('x2', px);
    rule.setAttribute('visibility', 'visible');
    const rows = [];
    series.forEach((ser, k) => {
      const p = nearest(ser.points, t);
      const near = p && Math.abs(p[0] - t) <= Math.max(1000, (end - from) / plot.width * 4);
      dots[k].setAttribute('visibility', near ? 'visible' : 'hidden');
      if (!near) return;
      dots[k].setAttribute('cx', xOf(p[0]));
      dots[k].setAttribute('cy', yOf(p[1]));
      rows.push({ ser, value: p[1] });
    });
    rows.sort((a, b) => b.value - a.value);
    replace(tooltip,
      h('div', { class: 'tooltip-time' }, formatDateTime(t)),
      h('table', {}, h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, h('span', { class: `swatch c${r.ser.color}`, 'aria-hidden': 'true' })), h('th', { scope: 'row' }, r.ser.name), h('td', { class: 'num' }, fmt(r.value)))))),
    );
    tooltip.hidden = false;
    const right = px > plot.left + plot.width / 2;
    tooltip.style.left = right ? '' : `${px + 12}px`;
    tooltip.style.right = right ? `${svg.width.baseVal.value - px + 12}px` : '';
    tooltip.style.top = `${plot.top}px`;
  };
  const hide = () => {
    rule.setAttribute('visibility', 'hidden');
    for (const dot of dots) dot.setAttribute('visibility', 'hidden');
    tooltip.hidden = true;
  };
  overlay.addEventListener('pointermove', (event) => {
    const box = svg.getBoundingClientRect();
    const px = event.clientX - box.left;
    const t = from + ((px - plot.left) / plot.width) * (end - from);
    show(nearestIndex(times, t));
  });
  overlay.addEventListener('pointerleave', hide);
  svg.addEventListener('blur', hide);
  svg.addEventListener('keydown', (event) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (event.key === 'Escape') return hide();
    if (!(event.key in moves)) return;
    event.preventDefault();
    const step = moves[event.key];
    show(index < 0 ? times.length - 1 : Number.isFinite(step) ? index + step : step < 0 ? 0 : times.length - 1);
  });
}

/** The index of the item of `sorted` (ascending by key) nearest to t. */
function nearestIndex(sorted, t, key = (v) => v) {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(key(sorted[lo - 1]) - t) < Math.abs(key(sorted[lo]) - t) ? lo - 1 : lo;
}

function nearest(points, t) {
  return points.length === 0 ? undefined : points[nearestIndex(points, t, (p) => p[0])];
}

function slug(name) {
  return String(name).replace(/[^a-z0-9_-]/gi, '_');
}
