import type { XidRate } from '../../collect/snapshot.js';

/** [epoch ms, value], as a Series holds them, oldest first. */
export type Point = [number, number];

/** The windows the XID rate is fitted over: the last hour sees a burst, the last day sees the daily cycle. */
export const RATE_WINDOWS = Object.freeze([
  { name: '1h', seconds: 3600 },
  { name: '24h', seconds: 86_400 },
] as const);

export type RateWindow = (typeof RATE_WINDOWS)[number]['name'];

/**
 * The shortest span a fit may stand on. Two observations 15 s apart (serve's default interval) give a slope, but
 * one burst between them would be taken for the rate; 30 s is at least three observations at that interval.
 */
export const MIN_FIT_SPAN_SECONDS = 30;

/** The least-squares rate of one window. */
export interface WindowFit {
  window: RateWindow;
  xidsPerSecond: number;
  /** Points the fit stood on (after the last counter reset). */
  points: number;
  /** Seconds from the first to the last of them. */
  spanSeconds: number;
}

/** The rate a forecast runs on: the faster of the windows, because running out early is the costly mistake. */
export interface RateFit extends WindowFit {
  /** Every window that had enough points, shortest first. */
  windows: WindowFit[];
  /** The same rate as the checks take it (`XidRate`), so `check`'s ETAs and the forecasts agree. */
  xidRate: XidRate;
}

export interface FitOptions {
  /** Default MIN_FIT_SPAN_SECONDS. */
  minSpanSeconds?: number;
}

/**
 * The XID consumption rate from `mvcc_xids_assigned_total` (the next full XID at each observation): a
 * least-squares slope over the last hour and over the last day, the larger of the two. Only the points after the
 * last drop count: next XID never goes back on one cluster, so a drop means the target now points at another
 * (a restore, a failover to a different cluster) whose history starts there. Undefined when no window has at
 * least two points spanning `minSpanSeconds`.
 */
export function fitXidRate(points: readonly Point[], now: number, options: FitOptions = {}): RateFit | undefined {
  const minSpan = options.minSpanSeconds ?? MIN_FIT_SPAN_SECONDS;
  const segment = afterLastReset(points.filter(([at, value]) => at <= now && Number.isFinite(at) && Number.isFinite(value)));
  const windows: WindowFit[] = [];
  for (const { name, seconds } of RATE_WINDOWS) {
    const inWindow = segment.filter(([at]) => at >= now - seconds * 1000);
    if (inWindow.length < 2) continue;
    const spanSeconds = (inWindow[inWindow.length - 1]![0] - inWindow[0]![0]) / 1000;
    if (spanSeconds < minSpan) continue;
    windows.push({ window: name, xidsPerSecond: Math.max(0, slopePerSecond(inWindow)), points: inWindow.length, spanSeconds });
  }
  if (windows.length === 0) return undefined;
  // On a tie (a history shorter than an hour: both windows hold the same points) the shorter window is named.
  const chosen = windows.reduce((best, w) => (w.xidsPerSecond > best.xidsPerSecond ? w : best));
  return { ...chosen, windows, xidRate: { xidsPerSecond: chosen.xidsPerSecond, sampleSeconds: chosen.spanSeconds } };
}

/** The points from the last counter reset on (the whole series when there was none). */
function afterLastReset(points: Point[]): Point[] {
  let start = 0;
  for (let i = 1; i < points.length; i++) if (points[i]![1] < points[i - 1]![1]) start = i;
  return points.slice(start);
}

/** Ordinary least squares, around the means: next XIDs near 2^32 × epoch and epoch-ms times lose no precision. */
function slopePerSecond(points: Point[]): number {
  const n = points.length;
  const meanT = points.reduce((sum, [at]) => sum + at, 0) / n;
  const meanV = points.reduce((sum, [, value]) => sum + value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [at, value] of points) {
    const dt = (at - meanT) / 1000;
    covariance += dt * (value - meanV);
    variance += dt * dt;
  }
  return variance > 0 ? covariance / variance : 0;
}
