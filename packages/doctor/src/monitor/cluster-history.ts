import type { Point } from './forecast/fit-rate.js';
import type { XidLimits } from './forecast/forecast-databases.js';
import type { HistoryStore } from './history-store.js';
import type { Sample } from './sample.js';

/** The forecasts fit the XID rate over 24 h, and judge freezing over the last hour (with a margin). */
const NEXT_XID_KEEP_MS = 24 * 3_600_000;
const AGES_KEEP_MS = 2 * 3_600_000;

/**
 * What the forecasts need of one cluster's past, kept in memory (a day of next-XID points is 5,760 pairs at 15 s)
 * and seeded from the store when the daemon starts, so a restart does not forget the rate.
 */
export class ClusterHistory {
  nextXid: Point[] = [];
  ages: Record<string, Point[]> = {};
  limits: XidLimits = {};

  async load(store: HistoryStore, cluster: string, now: number): Promise<void> {
    const [next] = await store.series({ cluster, metric: 'mvcc_xids_assigned_total', from: now - NEXT_XID_KEEP_MS, to: now });
    this.nextXid = next?.points ?? [];
    for (const s of await store.series({ cluster, metric: 'mvcc_database_xid_age_xids', from: now - AGES_KEEP_MS, to: now })) {
      if (s.labels.database) this.ages[s.labels.database] = s.points;
    }
  }

  add(at: number, samples: Sample[]): void {
    const seen = new Set<string>();
    for (const s of samples) {
      if (s.metric === 'mvcc_xids_assigned_total') this.nextXid.push([at, s.value]);
      else if (s.metric === 'mvcc_xid_limit_xids' && s.labels.limit) (this.limits as Record<string, number>)[s.labels.limit] = s.value;
      else if (s.metric === 'mvcc_database_xid_age_xids' && s.labels.database) {
        (this.ages[s.labels.database] ??= []).push([at, s.value]);
        seen.add(s.labels.database);
      }
    }
    // A dropped database stops being forecast.
    for (const database of Object.keys(this.ages)) if (!seen.has(database)) delete this.ages[database];
    this.nextXid = dropBefore(this.nextXid, at - NEXT_XID_KEEP_MS);
    for (const [database, points] of Object.entries(this.ages)) this.ages[database] = dropBefore(points, at - AGES_KEEP_MS);
  }
}

function dropBefore(points: Point[], cutoff: number): Point[] {
  const first = points.findIndex(([t]) => t >= cutoff);
  return first <= 0 ? (first === -1 ? [] : points) : points.slice(first);
}
