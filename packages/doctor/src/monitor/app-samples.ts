import type { AppRegistry } from '../app/app-registry.js';
import type { Sample } from './sample.js';

/** The app's side of the timeline: memory, event-loop delay, pool pressure and open transactions. */
export function appSamples(registries: AppRegistry[]): Sample[] {
  const out: Sample[] = [];
  const now = Date.now();
  for (const r of registries) {
    const app = r.app ?? `pid ${r.pid}`;
    const add = (metric: string, value: number | undefined, labels: Record<string, string> = {}) => {
      if (typeof value === 'number' && Number.isFinite(value)) out.push({ metric, labels: { app, ...labels }, value });
    };
    const t = r.telemetry;
    add('mvcc_app_heap_used_bytes', t?.heapUsedBytes);
    add('mvcc_app_rss_bytes', t?.rssBytes);
    add('mvcc_app_event_loop_delay_seconds', t?.eventLoopDelayP99Ms === undefined ? undefined : t.eventLoopDelayP99Ms / 1000);
    for (const [state, value] of Object.entries(t?.pool ?? {})) add('mvcc_app_pool_clients', value, { state });
    add('mvcc_app_open_transactions', r.transactions.length);
    const oldest = r.transactions.reduce((min, tx) => Math.min(min, Date.parse(tx.startedAt) || now), now);
    add('mvcc_app_oldest_transaction_seconds', (now - oldest) / 1000);
  }
  return out;
}
