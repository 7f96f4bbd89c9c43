import { describe, expect, it } from 'vitest';
import { ageLimits, describeRate, timeLeft, zoneOf } from './wraparound-limits.js';

const HALF = 2 ** 31 - 1;

describe('ageLimits', () => {
  it('uses the 40M / 3M margins from PostgreSQL 14 on, 10M / 1M before', () => {
    expect(ageLimits(140000, 200_000_000, 1_600_000_000)).toEqual({ autovacuum: 200_000_000, failsafe: 1_600_000_000, warn: HALF - 40_000_000, stop: HALF - 3_000_000, wrap: HALF });
    expect(ageLimits(130011, 200_000_000, 1_600_000_000)).toEqual({ autovacuum: 200_000_000, failsafe: undefined, warn: HALF - 10_000_000, stop: HALF - 1_000_000, wrap: HALF });
  });
});

describe('zoneOf', () => {
  const limits = ageLimits(150000, 200_000_000, 1_600_000_000);
  it.each([
    [0, 'ok'],
    [200_000_000, 'ok'], // autovacuum starts only past the setting
    [200_000_001, 'autovacuum'],
    [1_600_000_000, 'failsafe'],
    [HALF - 40_000_001, 'failsafe'],
    [HALF - 40_000_000, 'warn'],
    [HALF - 3_000_001, 'warn'],
    [HALF - 3_000_000, 'stop'],
    [HALF, 'stop'],
  ] as const)('age %i is in zone %s', (age, zone) => {
    expect(zoneOf(age, limits)).toBe(zone);
  });

  it('without a failsafe (PostgreSQL 13) the autovacuum zone runs up to the warning limit', () => {
    expect(zoneOf(1_900_000_000, ageLimits(130000, 200_000_000, 1_600_000_000))).toBe('autovacuum');
  });
});

describe('timeLeft', () => {
  const limits = ageLimits(150000, 200_000_000, 1_600_000_000);

  it('lists only the limits still ahead, with the IDs left to each', () => {
    const left = timeLeft(HALF - 20_000_000, limits, undefined);
    expect(left).toEqual([{ limit: 'stop', remaining: 17_000_000, eta: 'unknown (no --sample)' }]);
    expect(timeLeft(HALF, limits, undefined)).toEqual([]);
  });

  it('divides by the sampled rate for the ETA', () => {
    const rate = { xidsPerSecond: 1000, sampleSeconds: 10 };
    const left = timeLeft(1_000_000_000, limits, rate);
    expect(left.map((l) => l.limit)).toEqual(['failsafe', 'warning', 'stop']);
    // 600M XIDs at 1,000/s: 600,000 s = 6 days 22 hours 40 minutes.
    expect(left[0]).toEqual({ limit: 'failsafe', remaining: 600_000_000, eta: '6d 22h' });
    expect(left[2]!.remaining).toBe(HALF - 3_000_000 - 1_000_000_000);
    expect(timeLeft(HALF - 3_000_100, limits, { xidsPerSecond: 10, sampleSeconds: 1 })).toEqual([{ limit: 'stop', remaining: 100, eta: '10s' }]);
  });

  it('a zero rate never arrives; the autovacuum limit counts until it is passed', () => {
    expect(timeLeft(100, limits, { xidsPerSecond: 0, sampleSeconds: 1 })[0]).toEqual({ limit: 'autovacuum_freeze_max_age', remaining: 199_999_900, eta: 'never at the current rate (0/s)' });
  });

  it('describes the rate, or that it was not measured', () => {
    expect(describeRate({ xidsPerSecond: 12_345.6, sampleSeconds: 10.04 })).toBe('12,346 XIDs/s over 10.0s');
    expect(describeRate(undefined)).toBe('rate not measured');
  });
});
