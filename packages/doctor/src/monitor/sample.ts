/** One value of one time series at one moment: what `serve` records, `/metrics` exposes and `/api/series` returns. */
export interface Sample {
  /** A name from METRICS, e.g. "mvcc_database_xid_age_xids". */
  metric: string;
  /** Label values besides `cluster` (the store and /metrics add it), e.g. { database: "app" }. */
  labels: Record<string, string>;
  value: number;
}

/** A series as the API answers it: epoch-ms points, oldest first. */
export interface Series {
  labels: Record<string, string>;
  points: [number, number][];
}

/** A stable key for a label set (sorted, so equal sets give equal keys). */
export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
