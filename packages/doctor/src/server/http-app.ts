import type { IncomingMessage, ServerResponse } from 'node:http';
import { DoctorError } from '../connect/doctor-error.js';
import type { HistoryStore } from '../monitor/history-store.js';
import { METRIC_BY_NAME } from '../monitor/metric-catalog.js';
import type { Monitor } from '../monitor/monitor.js';
import { parseTime, required } from './api-params.js';
import { clusterView } from './api-views.js';
import { authorize } from './auth.js';
import { metricsText } from './metrics-text.js';
import { dashboardFile } from './static-files.js';

export interface HttpAppOptions {
  monitor: Monitor;
  store: HistoryStore;
  /** When set, every request must carry it (see auth.ts). */
  token?: string;
  /** Alerts firing now, from the alerter. */
  activeAlerts?: () => unknown[];
  log?: (line: string) => void;
}

type Json = (status: number, body: unknown) => void;

/** The daemon's HTTP surface as a plain (req, res) handler: created without listening, so tests call it on any port. */
export function createHttpApp(options: HttpAppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(req, res, options).catch((error: unknown) => {
      const usage = error instanceof DoctorError && error.code === 'usage';
      if (!usage) options.log?.(`HTTP ${req.method} ${(req.url ?? '').split('?')[0]}: ${(error as Error).message}`);
      if (!res.headersSent) send(res, usage ? 400 : 500, { error: usage ? (error as DoctorError).message : 'internal error' });
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpAppOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const json: Json = (status, body) => send(res, status, body);
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET' });
  const auth = authorize(req, url, options.token);
  if (!auth.ok) return json(401, { error: 'this daemon needs its token: Authorization: Bearer <token>, or ?token=<token> once in a browser' });
  if (auth.setCookie) res.setHeader('set-cookie', auth.setCookie);
  const { monitor, store } = options;
  const params = url.searchParams;
  switch (url.pathname) {
    case '/metrics':
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(metricsText(monitor.clusters()));
    case '/healthz':
      return json(200, { ok: true });
    case '/api/clusters':
      return json(200, { clusters: monitor.clusters().map(clusterView) });
    case '/api/series': {
      const cluster = known(monitor, required(params, 'cluster'));
      const metric = required(params, 'metric');
      if (!METRIC_BY_NAME.has(metric)) throw new DoctorError('usage', `unknown metric "${metric}" (the names of /metrics)`);
      const to = parseTime(params.get('to'), 'to', Date.now());
      const from = parseTime(params.get('from'), 'from', to - 3_600_000);
      if (from > to) throw new DoctorError('usage', '"from" is after "to"');
      const labels = Object.fromEntries([...params].filter(([k]) => !['cluster', 'metric', 'from', 'to', 'step', 'token'].includes(k)));
      return json(200, { series: await store.series({ cluster, metric, from, to, labels, stepMs: stepOf(params.get('step'), from, to) }) });
    }
    case '/api/findings': {
      const cluster = known(monitor, required(params, 'cluster'));
      const status = monitor.cluster(cluster)!;
      const opened = new Map(monitor.openFindings(cluster).map((e) => [e.key, e.openedAt]));
      return json(200, {
        cluster,
        observed_at: status.lastAt === undefined ? null : new Date(status.lastAt).toISOString(),
        up: status.up ?? null,
        error: status.error ?? null,
        report: status.report ?? null,
        open: monitor.openFindings(cluster).map((e) => ({ key: e.key, check: e.check, severity: e.severity, opened_at: new Date(opened.get(e.key)!).toISOString(), finding: e.finding })),
      });
    }
    case '/api/events': {
      const cluster = params.get('cluster') ? known(monitor, params.get('cluster')!) : undefined;
      const to = parseTime(params.get('to'), 'to', Date.now());
      const from = parseTime(params.get('from'), 'from', to - 86_400_000);
      return json(200, { events: await store.events({ cluster, from, to }) });
    }
    case '/api/log-events': {
      const cluster = known(monitor, required(params, 'cluster'));
      const to = parseTime(params.get('to'), 'to', Date.now());
      const from = parseTime(params.get('from'), 'from', to - 86_400_000);
      if (from > to) throw new DoctorError('usage', '"from" is after "to"');
      const classes = params.getAll('class').flatMap((c) => c.split(',')).filter(Boolean);
      const limit = limitOf(params.get('limit'));
      const events = await store.logEvents({ cluster, from, to, classes: classes.length ? classes : undefined, limit });
      return json(200, { cluster, log: monitor.cluster(cluster)!.log ?? null, events: events.map((e) => e.event) });
    }
    case '/api/alerts': {
      const cluster = params.get('cluster') ?? undefined;
      return json(200, { active: options.activeAlerts?.() ?? [], history: await store.alerts({ cluster, limit: 500 }) });
    }
    default: {
      if (url.pathname.startsWith('/api/')) return json(404, { error: `no such endpoint: ${url.pathname}` });
      const file = await dashboardFile(url.pathname === '/' ? 'index.html' : url.pathname);
      if (!file) return json(404, { error: 'not found' });
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      return void res.end(req.method === 'HEAD' ? undefined : file.body);
    }
  }
}

/** Raw points up to six hours; beyond, averaged into about 1,000 buckets unless `step` (ms) says otherwise. */
function stepOf(step: string | null, from: number, to: number): number | undefined {
  if (step !== null) {
    const ms = Number(step);
    if (!Number.isInteger(ms) || ms < 0) throw new DoctorError('usage', `step takes milliseconds (0: raw points), not "${step}"`);
    return ms || undefined;
  }
  return to - from > 6 * 3_600_000 ? Math.ceil((to - from) / 1000) : undefined;
}

/** How many log events an answer holds: 500 unless asked, 5,000 at most. */
function limitOf(text: string | null): number {
  if (text === null) return 500;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 5000) throw new DoctorError('usage', `limit takes a whole number from 1 to 5000, not "${text}"`);
  return n;
}

function known(monitor: Monitor, cluster: string): string {
  if (!monitor.cluster(cluster)) throw new DoctorError('usage', `no cluster is named "${cluster}"`);
  return cluster;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
