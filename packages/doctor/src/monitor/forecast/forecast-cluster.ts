import type { Finding } from '../../engine/finding.js';
import type { Sample } from '../sample.js';
import { fitXidRate, type Point, type RateFit } from './fit-rate.js';
import { forecastDatabases, type DatabaseForecast, type XidLimits } from './forecast-databases.js';
import { forecastFindings } from './forecast-findings.js';
import { forecastSamples } from './forecast-samples.js';

/** One cluster's history, as the store answers for its series. */
export interface ClusterHistory {
  /** Epoch ms the forecast is made at. */
  now: number;
  /** `mvcc_xids_assigned_total` points, oldest first. */
  nextXid: readonly Point[];
  /** `mvcc_database_xid_age_xids` points per database, oldest first; the last one is the database's age now. */
  ages: Readonly<Record<string, readonly Point[]>>;
  /** The latest `mvcc_xid_limit_xids`. */
  limits: XidLimits;
  /** Default FREEZING_WINDOW_SECONDS. */
  freezingWindowSeconds?: number;
  /** Default MIN_FIT_SPAN_SECONDS. */
  minSpanSeconds?: number;
}

export interface ClusterForecast {
  /** Absent until the history is long enough to fit a rate. */
  fit?: RateFit;
  databases: DatabaseForecast[];
  /** `mvcc_database_xid_eta_seconds`. */
  samples: Sample[];
  /** `wraparound-eta` and `freezing-behind`. */
  findings: Finding[];
}

/** Everything the forecasts say about one cluster: the rate, per database ETAs and freezing, samples and findings. */
export function forecastCluster(history: ClusterHistory): ClusterForecast {
  const fit = fitXidRate(history.nextXid, history.now, { minSpanSeconds: history.minSpanSeconds });
  const databases = forecastDatabases({
    now: history.now,
    fit,
    limits: history.limits,
    freezingWindowSeconds: history.freezingWindowSeconds,
    databases: Object.entries(history.ages)
      .filter(([, points]) => points.length > 0)
      .map(([database, points]) => ({ database, age: points[points.length - 1]![1], history: points })),
  });
  return { ...(fit && { fit }), databases, samples: forecastSamples(databases), findings: forecastFindings(databases, history.limits) };
}
