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

  it('a short sample that saw no XIDs is no evidence of "never"; the autovacuum limit counts until it is passed', () => {
    expect(timeLeft(100, limits, { xidsPerSecond: 0, sampleSeconds: 1 })[0]).toEqual({ limit: 'autovacuum_freeze_max_age', remaining: 199_999_900, eta: 'unknown (none consumed during the 1.0 s sample)' });
    // A fitted rate of zero over an hour of history is.
    expect(timeLeft(100, limits, { xidsPerSecond: 0, sampleSeconds: 3600, source: 'history' })[0]!.eta).toBe('never at the rate of the last 1h (0/s)');
  });

  it('after a burst the sample says 0/s: the ETA comes from the longer run, and says so', () => {
    const sample = { xidsPerSecond: 0, sampleSeconds: 1 };
    const checkpoint = { xidsPerSecond: 1000, seconds: 250, source: 'checkpoint' as const, atMost: false };
    expect(timeLeft(1_000_000_000, limits, sample, checkpoint)[0]).toEqual({ limit: 'failsafe', remaining: 600_000_000, eta: '6d 22h at the rate of the last 4m 10s' });
    // A vacuumed relation's relfrozenxid age is a ceiling on the rate: the time left is a floor.
    const vacuum = { xidsPerSecond: 1000, seconds: 7200, source: 'vacuum' as const, atMost: true, relation: 'public.t' };
    expect(timeLeft(1_000_000_000, limits, sample, vacuum)[0]!.eta).toBe('at least 6d 22h at the rate of the last 2h');
    // Without a sample too.
    expect(timeLeft(1_000_000_000, limits, undefined, checkpoint)[0]!.eta).toBe('6d 22h at the rate of the last 4m 10s');
    // Nothing consumed over the longer run either: that is evidence enough for "never".
    expect(timeLeft(1_000_000_000, limits, sample, { ...checkpoint, xidsPerSecond: 0 })[0]!.eta).toBe('never at the rate of the last 4m 10s (0/s)');
  });

  it('a sample that saw XIDs is used, unless the longer run measured a faster rate', () => {
    const sample = { xidsPerSecond: 100, sampleSeconds: 1 };
    expect(timeLeft(1_000_000_000, limits, sample, { xidsPerSecond: 1000, seconds: 250, source: 'checkpoint', atMost: false })[0]!.eta).toBe('6d 22h at the rate of the last 4m 10s');
    expect(timeLeft(1_000_000_000, limits, sample, { xidsPerSecond: 10, seconds: 250, source: 'checkpoint', atMost: false })[0]!.eta).toBe('69d 10h');
    // A ceiling is not a measure: it never replaces a sample that saw XIDs.
    expect(timeLeft(1_000_000_000, limits, sample, { xidsPerSecond: 1000, seconds: 7200, source: 'vacuum', atMost: true })[0]!.eta).toBe('69d 10h');
  });

  it('describes the rate, or that it was not measured', () => {
    expect(describeRate({ xidsPerSecond: 12_345.6, sampleSeconds: 10.04 })).toBe('12,346 XIDs/s over 10.0s');
    expect(describeRate(undefined)).toBe('rate not measured');
  });
});
