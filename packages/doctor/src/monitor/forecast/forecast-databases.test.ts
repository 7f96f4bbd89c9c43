import { describe, expect, it } from 'vitest';
import { fitXidRate, type Point, type RateFit } from './fit-rate.js';
import { forecastDatabases, type DatabaseAges, type XidLimits } from './forecast-databases.js';

const NOW = Date.UTC(2026, 4, 1, 12);
const MIN = 60_000;
const HALF = 2 ** 31 - 1;
const LIMITS: XidLimits = { autovacuum_freeze_max_age: 200_000_000, failsafe: 1_600_000_000, warning: HALF - 40_000_000, stop: HALF - 3_000_000 };

/** A fit of `rate` XIDs/s from an hour of points. */
function fitAt(rate: number): RateFit {
  const points: Point[] = [];
  for (let s = 0; s <= 3600; s += 60) points.push([NOW - 3_600_000 + s * 1000, 1e9 + rate * s]);
  return fitXidRate(points, NOW)!;
}

/** Ages every minute, `minutes` long up to NOW, from `age(minutes before NOW)`. */
function ages(minutes: number, age: (before: number) => number): Point[] {
  const points: Point[] = [];
  for (let before = minutes; before >= 0; before--) points.push([NOW - before * MIN, age(before)]);
  return points;
}

function one(d: Omit<DatabaseAges, 'database'>, options: { fit?: RateFit; window?: number; limits?: XidLimits } = {}) {
  return forecastDatabases({ now: NOW, fit: options.fit, limits: options.limits ?? LIMITS, freezingWindowSeconds: options.window, databases: [{ database: 'app', ...d }] })[0]!;
}

describe('forecastDatabases: ETAs', () => {
  it('gives the XIDs and seconds to every limit still ahead, at the fitted rate', () => {
    const f = one({ age: 1_000_000_000, history: [] }, { fit: fitAt(1000) });
    expect(f.etas.map((e) => e.limit)).toEqual(['failsafe', 'warning', 'stop']);
    expect(f.etas[0]).toMatchObject({ at: 1_600_000_000, remaining: 600_000_000 });
    expect(f.etas[0]!.seconds).toBeCloseTo(600_000, 3);
    expect(f.etas[2]!.remaining).toBe(HALF - 3_000_000 - 1_000_000_000);
    expect(f.etas[2]!.seconds).toBeCloseTo((HALF - 3_000_000 - 1_000_000_000) / 1000, 3);
    expect(f.rate).toMatchObject({ window: '1h', points: 61, spanSeconds: 3600 });
    expect(f.rate!.xidsPerSecond).toBeCloseTo(1000, 6);
  });

  it('before PostgreSQL 14 there is no failsafe to reach', () => {
    const { failsafe: _failsafe, ...pre14 } = LIMITS;
    expect(one({ age: 100, history: [] }, { fit: fitAt(10), limits: pre14 }).etas.map((e) => e.limit)).toEqual(['autovacuum_freeze_max_age', 'warning', 'stop']);
  });

  it('without a fitted rate the XIDs left are known, the seconds are not; at 0 XIDs/s they are infinite', () => {
    const unknown = one({ age: 100, history: [] });
    expect(unknown.rate).toBeUndefined();
    expect(unknown.etas[0]).toEqual({ limit: 'autovacuum_freeze_max_age', at: 200_000_000, remaining: 199_999_900 });
    expect(one({ age: 100, history: [] }, { fit: fitAt(0) }).etas.every((e) => e.seconds === Infinity)).toBe(true);
  });

  it('in the stop zone no limit is ahead', () => {
    expect(one({ age: HALF - 1_000_000, history: [] }, { fit: fitAt(1000) }).etas).toEqual([]);
  });
});

describe('forecastDatabases: does freezing keep up?', () => {
  const window = 1800;

  it('younger than autovacuum_freeze_max_age: not due, whatever the trend', () => {
    const f = one({ age: 150_000_000, history: ages(120, (b) => 150_000_000 - b * 60_000) }, { window });
    expect(f.freezing).toMatchObject({ verdict: 'not-due', points: 121, spanSeconds: 7200, windowSeconds: 1800 });
    expect(f.freezing.since).toBeUndefined();
  });

  it('the normal sawtooth keeps up: past the limit, but the age fell within the window', () => {
    // Climbs 100k/min; 20 min ago autovacuum froze the oldest table (from 212.9M to 203M), climbing again since.
    const history = ages(120, (b) => (b > 20 ? 215_000_000 - b * 100_000 : 205_000_000 - b * 100_000));
    const f = one({ age: history[history.length - 1]![1], history }, { window });
    expect(f.age).toBeGreaterThan(200_000_000);
    expect(f.freezing).toMatchObject({ verdict: 'keeping-up', since: NOW - 20 * MIN, points: 21, spanSeconds: 1200 });
  });

  it('just crossed the limit: due, autovacuum has had less than the window', () => {
    const history = ages(120, (b) => 201_000_000 - b * 100_000);
    const f = one({ age: 201_000_000, history }, { window });
    // 10 min ago it was exactly 200M, not yet past it.
    expect(f.freezing).toMatchObject({ verdict: 'due', since: NOW - 9 * MIN, points: 10 });
  });

  it('past the limit for longer than the window without a fall: behind', () => {
    const history = ages(120, (b) => 260_000_000 - b * 100_000);
    const f = one({ age: 260_000_000, history }, { window });
    // The whole stored history is past the limit and rising: behind for at least those two hours.
    expect(f.freezing).toMatchObject({ verdict: 'behind', since: NOW - 120 * MIN, points: 121, spanSeconds: 7200 });
  });

  it('a fall longer ago than the window does not count, and a flat age (no XIDs consumed) is no fall', () => {
    const history = ages(120, (b) => (b > 90 ? 300_000_000 : 250_000_000));
    expect(one({ age: 250_000_000, history }, { window }).freezing).toMatchObject({ verdict: 'behind', since: NOW - 90 * MIN, points: 91 });
    // The default window is an hour: 90 minutes is still behind, 50 is not yet.
    expect(one({ age: 250_000_000, history }).freezing).toMatchObject({ verdict: 'behind', windowSeconds: 3600 });
    const recent = ages(120, (b) => (b > 50 ? 300_000_000 : 250_000_000));
    expect(one({ age: 250_000_000, history: recent }).freezing.verdict).toBe('keeping-up');
  });

  it('a history shorter than the window that never falls cannot tell yet', () => {
    const history = ages(20, (b) => 300_000_000 - b * 100_000);
    expect(one({ age: 300_000_000, history }, { window }).freezing).toMatchObject({ verdict: 'unknown', since: NOW - 20 * MIN, points: 21, spanSeconds: 1200 });
  });

  it('a latest age newer than the stored history counts as a point now', () => {
    const history = ages(60, () => 199_000_000);
    expect(one({ age: 201_000_000, history }, { window }).freezing).toMatchObject({ verdict: 'due', since: NOW, points: 1, spanSeconds: 0 });
  });
});
