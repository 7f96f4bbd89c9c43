// What the cluster page charts, and how each chart's series are fetched and named. Each `load` returns the chart
// spec (see chart.js) plus an optional note shown under it.
import { api } from '../api.js';
import { formatSeconds } from '../format.js';

const TOP_TABLES = 8;
export const NO_APP = 'no app attached: serve --app URL';

/** The charts, in page order; `wide` ones span the whole row. */
export const CHARTS = [
  { id: 'xid-age', title: 'XID age per database', unit: 'xids', wide: true, scaleToggle: true, load: loadXidAge },
  { id: 'horizon-xids', title: 'xmin horizon age by holder', unit: 'xids', load: byLabels('mvcc_xmin_horizon_age_xids', holderName, 'No session, slot or prepared transaction held the horizon back.') },
  { id: 'horizon-seconds', title: 'Time the horizon has been held', unit: 'seconds', load: byLabels('mvcc_xmin_horizon_age_seconds', holderName, 'No horizon holder with a known start.') },
  { id: 'dead-tuples', title: `Dead tuples, top ${TOP_TABLES} tables`, unit: 'count', load: byLabels('mvcc_table_dead_tuples', (l) => `${l.database}: ${l.table}`, 'No table has dead tuples.', TOP_TABLES) },
  { id: 'lock-waiters', title: 'Sessions waiting for a lock', unit: 'count', load: byLabels('mvcc_lock_waiters', (l) => l.database, 'No lock data.') },
  { id: 'lock-wait', title: 'Oldest lock wait', unit: 'seconds', load: byLabels('mvcc_lock_wait_oldest_seconds', (l) => l.database, 'No lock data.') },
  { id: 'app-heap', title: 'App heap used', unit: 'bytes', load: appChart('mvcc_app_heap_used_bytes') },
  { id: 'app-transactions', title: 'App open transactions', unit: 'count', load: appChart('mvcc_app_open_transactions') },
];

function holderName(l) {
  const where = l.database ? ` (${l.database})` : '';
  return `${l.holder_kind}: ${l.holder}${where}`;
}

/** One series per label set, named by `name`; with `top`, only the series with the highest latest values. */
function byLabels(metric, name, empty, top) {
  return async (ctx) => {
    const { series } = await api.series(ctx.cluster, metric, ctx.from, ctx.to);
    let named = series.map((x) => ({ name: name(x.labels), points: x.points }));
    if (top) named = named.sort((a, b) => last(b) - last(a)).slice(0, top);
    return { spec: { series: named, empty } };
  };
}

function appChart(metric) {
  return async (ctx) => {
    // An attached app always reports its open transactions (zero included): no such series means no app.
    const [{ series }, attached] = await Promise.all([api.series(ctx.cluster, metric, ctx.from, ctx.to), ctx.appAttached()]);
    return { spec: { series: series.map((x) => ({ name: x.labels.app, points: x.points })), empty: attached ? 'The app reported no figures in this range.' : NO_APP } };
  };
}

/** XID age with PostgreSQL's limits as lines, and a dashed forecast where the daemon has one. */
async function loadXidAge(ctx) {
  const [ages, limits, etas] = await Promise.all([
    api.series(ctx.cluster, 'mvcc_database_xid_age_xids', ctx.from, ctx.to),
    api.series(ctx.cluster, 'mvcc_xid_limit_xids', ctx.from, ctx.to),
    api.series(ctx.cluster, 'mvcc_database_xid_eta_seconds', ctx.from, ctx.to),
  ]);
  const series = ages.series.map((x) => ({ name: x.labels.database, points: x.points })).sort((a, b) => last(b) - last(a));
  const limitValue = new Map(limits.series.filter((x) => x.points.length).map((x) => [x.labels.limit, last(x)]));
  const forecasts = [];
  const notes = [];
  const horizon = ctx.to + (ctx.to - ctx.from) / 4;
  for (const db of series) {
    const mine = etas.series.filter((x) => x.labels.database === db.name && x.points.length && limitValue.has(x.labels.limit));
    const next = mine.sort((a, b) => last(a) - last(b))[0];
    const [t, v] = db.points[db.points.length - 1] ?? [];
    if (!next || t === undefined) continue;
    const seconds = last(next);
    const target = limitValue.get(next.labels.limit);
    if (!(seconds > 0) || !(target > v)) continue;
    const endT = Math.min(t + seconds * 1000, horizon);
    forecasts.push({ name: db.name, points: [[t, v], [endT, v + ((target - v) * (endT - t)) / (seconds * 1000)]] });
    notes.push(`${db.name} reaches ${next.labels.limit} in ${formatSeconds(seconds)}`);
  }
  return {
    spec: { series, limits: [...limitValue].map(([name, value]) => ({ name, value })), forecasts, empty: 'No XID age recorded in this range.' },
    note: notes.length ? `Forecast at the fitted XID rate: ${notes.join('; ')}.` : 'No forecast yet: it needs more history of XID consumption.',
  };
}

function last(series) {
  const points = series.points;
  return points.length ? points[points.length - 1][1] : -Infinity;
}
