import { describe, expect, it } from 'vitest';
import { fitXidRate, MIN_FIT_SPAN_SECONDS, type Point } from './fit-rate.js';

const NOW = Date.UTC(2026, 4, 1, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Points every `stepMs` from `fromMs` before NOW up to NOW, valued by `value(ms before NOW)`. */
function series(fromMs: number, stepMs: number, value: (before: number) => number): Point[] {
  const points: Point[] = [];
  for (let before = fromMs; before >= 0; before -= stepMs) points.push([NOW - before, value(before)]);
  return points;
}

describe('fitXidRate', () => {
  it('a constant rate is fitted exactly, over the last hour when the day holds nothing faster', () => {
    const points = series(2 * HOUR, 15_000, (before) => 4_000_000_000 + 500 * (2 * HOUR - before) / 1000);
    const fit = fitXidRate(points, NOW)!;
    expect(fit.window).toBe('1h');
    expect(fit.xidsPerSecond).toBeCloseTo(500, 6);
    expect(fit.points).toBe(241); // 0..60 min every 15 s
    expect(fit.spanSeconds).toBe(3600);
    expect(fit.windows.map((w) => [w.window, w.points, w.spanSeconds])).toEqual([['1h', 241, 3600], ['24h', 481, 7200]]);
    expect(fit.windows[1]!.xidsPerSecond).toBeCloseTo(500, 6);
    expect(fit.xidRate).toEqual({ xidsPerSecond: fit.xidsPerSecond, sampleSeconds: 3600 });
  });

  it('a burst in the last hour wins over the lower 24 h rate: the pessimistic one', () => {
    // 100 XIDs/s for a day, then 1000 XIDs/s for the last hour.
    const points = series(24 * HOUR, MIN, (before) => {
      const t = (24 * HOUR - before) / 1000;
      return t <= 23 * 3600 ? 100 * t : 100 * 23 * 3600 + 1000 * (t - 23 * 3600);
    });
    const fit = fitXidRate(points, NOW)!;
    expect(fit.window).toBe('1h');
    expect(fit.xidsPerSecond).toBeCloseTo(1000, 6);
    const day = fit.windows.find((w) => w.window === '24h')!;
    expect(day.xidsPerSecond).toBeGreaterThan(100);
    expect(day.xidsPerSecond).toBeLessThan(1000);
  });

  it('a quiet last hour does not hide a busy day: the 24 h rate is taken', () => {
    const points = series(24 * HOUR, MIN, (before) => {
      const t = (24 * HOUR - before) / 1000;
      return t <= 23 * 3600 ? 1000 * t : 1000 * 23 * 3600 + 10 * (t - 23 * 3600);
    });
    const fit = fitXidRate(points, NOW)!;
    expect(fit.window).toBe('24h');
    expect(fit.xidsPerSecond).toBeGreaterThan(900);
    expect(fit.windows.find((w) => w.window === '1h')!.xidsPerSecond).toBeCloseTo(10, 6);
    expect(fit.xidRate.sampleSeconds).toBe(24 * 3600);
  });

  it('noise around a steady rate averages out', () => {
    const points = series(HOUR, 15_000, (before) => 1_000_000 + 200 * (HOUR - before) / 1000 + (before % 30_000 === 0 ? 400 : -400));
    expect(fitXidRate(points, NOW)!.xidsPerSecond).toBeCloseTo(200, 0);
  });

  it('after a counter reset (another cluster behind the same target) only the points after it count', () => {
    const before = series(2 * HOUR, 15_000, (b) => 5_000_000_000 + 100 * (2 * HOUR - b) / 1000).filter(([at]) => at < NOW - 10 * MIN);
    const after = series(10 * MIN, 15_000, (b) => 1_000 + 300 * (10 * MIN - b) / 1000);
    const fit = fitXidRate([...before, ...after], NOW)!;
    expect(fit.xidsPerSecond).toBeCloseTo(300, 6);
    expect(fit.points).toBe(after.length);
    expect(fit.spanSeconds).toBe(600);
    // With too little after the reset there is no rate, rather than one that spans two clusters.
    expect(fitXidRate([...before, ...after.slice(0, 2)], NOW)).toBeUndefined();
  });

  it('too few points or too short a span give no rate', () => {
    expect(fitXidRate([], NOW)).toBeUndefined();
    expect(fitXidRate([[NOW, 1000]], NOW)).toBeUndefined();
    expect(fitXidRate([[NOW - 10_000, 1000], [NOW, 3000]], NOW)).toBeUndefined();
    expect(fitXidRate([[NOW - MIN_FIT_SPAN_SECONDS * 1000, 1000], [NOW, 7000]], NOW)).toMatchObject({ xidsPerSecond: 200, points: 2, spanSeconds: MIN_FIT_SPAN_SECONDS });
    expect(fitXidRate([[NOW - 10_000, 1000], [NOW, 3000]], NOW, { minSpanSeconds: 5 })).toMatchObject({ xidsPerSecond: 200 });
    // Older than a day, or after `now`, is outside every window.
    expect(fitXidRate([[NOW - 30 * HOUR, 0], [NOW - 25 * HOUR, 1e6]], NOW)).toBeUndefined();
    expect(fitXidRate([[NOW - 10_000, 1000], [NOW + HOUR, 1e9]], NOW)).toBeUndefined();
  });

  it('an idle cluster has a rate of zero, not none', () => {
    const fit = fitXidRate(series(HOUR, 15_000, () => 777), NOW)!;
    expect(fit.xidsPerSecond).toBe(0);
    expect(fit.xidRate).toEqual({ xidsPerSecond: 0, sampleSeconds: 3600 });
  });
});
