import { describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/finding.js';
import { fitXidRate, type Point, type RateFit } from './fit-rate.js';
import { forecastCluster } from './forecast-cluster.js';
import { forecastDatabases, type XidLimits } from './forecast-databases.js';
import { ETA_CRITICAL_STOP_SECONDS, ETA_WARNING_FAILSAFE_SECONDS, ETA_WARNING_STOP_SECONDS, forecastFindings } from './forecast-findings.js';
import { forecastSamples } from './forecast-samples.js';

const NOW = Date.UTC(2026, 4, 1, 12);
const MIN = 60_000;
const DAY = 86_400;
const HALF = 2 ** 31 - 1;
const STOP = HALF - 3_000_000;
const LIMITS: XidLimits = { autovacuum_freeze_max_age: 200_000_000, failsafe: 1_600_000_000, warning: HALF - 40_000_000, stop: STOP };
const { failsafe: _failsafe, ...PRE14 } = { ...LIMITS, warning: HALF - 10_000_000, stop: HALF - 1_000_000 };

function nextXids(rate: number, minutes = 60): Point[] {
  const points: Point[] = [];
  for (let before = minutes; before >= 0; before--) points.push([NOW - before * MIN, 3e9 + rate * (minutes - before) * 60]);
  return points;
}

function fitAt(rate: number): RateFit {
  return fitXidRate(nextXids(rate), NOW)!;
}

/** Findings for one database "app" of `age` (its history: `history`, or that one point, too short to judge freezing). */
function findingsFor(age: number, rate: number | undefined, options: { history?: Point[]; limits?: XidLimits } = {}): Finding[] {
  const limits = options.limits ?? LIMITS;
  const history = options.history ?? [[NOW, age]];
  const forecasts = forecastDatabases({ now: NOW, fit: rate === undefined ? undefined : fitAt(rate), limits, databases: [{ database: 'app', age, history }] });
  return forecastFindings(forecasts, limits);
}

/** The age `seconds` before `limit` at `rate`. */
const before = (limit: number, seconds: number, rate: number) => Math.round(limit - seconds * rate);

function expectFindingShape(f: Finding): void {
  expect(f.subject).toEqual({ database: 'app' });
  expect(f.summary).toMatch(/^Database "app" [^\n]+\.$/);
  expect(f.summary.split(/(?<=[.!?])\s+(?=[A-Z])/)).toHaveLength(1);
  expect(f.why.split(/(?<=[.!?])\s+(?=[A-Z])/).length).toBeLessThanOrEqual(2);
  expect(f.evidence[0]).toMatchObject({ database: 'app', xid_age: expect.any(Number) });
  // Safest first: read-only diagnosis before the one line that writes.
  expect(f.remediation[0]).toMatch(/^mvcc-doctor check /);
  expect(f.remediation.at(f.check === 'wraparound-eta' ? -2 : -1)).toBe(
    `\\connect "app"\nSELECT format('VACUUM (FREEZE, TRUNCATE false, VERBOSE) %s', c.oid::regclass) FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relkind IN ('r', 'm') ORDER BY greatest(age(c.relfrozenxid), age(t.relfrozenxid)) DESC LIMIT 10 \\gexec`,
  );
}

describe('wraparound-eta', () => {
  it('critical when the stop limit is less than three days away at the fitted rate', () => {
    const [f, ...rest] = findingsFor(before(STOP, 2 * DAY, 1000), 1000);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ check: 'wraparound-eta', severity: 'critical' });
    expectFindingShape(f!);
    expect(f!.summary).toBe('Database "app" reaches the XID stop limit in 2d at 1,000 XIDs/s (the last hour\'s rate).');
    expect(f!.evidence).toEqual([
      { database: 'app', xid_age: STOP - 172_800_000 },
      { xids_per_second: 1000, fitted_over: '1h', points: 61, span: '1h' },
      { to: 'warning', xids_left: 135_800_000, eta: '1d 13h' },
      { to: 'stop', xids_left: 172_800_000, eta: '2d' },
    ]);
  });

  it('a warning when the stop limit is less than 14 days away', () => {
    const [f] = findingsFor(before(STOP, 10 * DAY, 1000), 1000);
    expect(f).toMatchObject({ check: 'wraparound-eta', severity: 'warning', summary: 'Database "app" reaches the XID stop limit in 10d at 1,000 XIDs/s (the last hour\'s rate).' });
  });

  it('a warning when only the failsafe is less than three days away, and the summary says so', () => {
    // At 400 XIDs/s the failsafe is a day away, the stop limit 16.75 days.
    const [f] = findingsFor(before(1_600_000_000, DAY, 400), 400);
    expect(f).toMatchObject({ check: 'wraparound-eta', severity: 'warning' });
    expectFindingShape(f!);
    expect(f!.summary).toBe('Database "app" reaches vacuum_failsafe_age in 1d at 400 XIDs/s (the last hour\'s rate), and the stop limit in 16d 18h.');
  });

  it('just beyond each threshold is the milder severity', () => {
    expect(findingsFor(before(STOP, ETA_CRITICAL_STOP_SECONDS - 60, 1000), 1000)[0]!.severity).toBe('critical');
    expect(findingsFor(before(STOP, ETA_CRITICAL_STOP_SECONDS + 60, 1000), 1000)[0]!.severity).toBe('warning');
    expect(findingsFor(before(STOP, ETA_WARNING_STOP_SECONDS - 60, 1000), 1000)[0]!.severity).toBe('warning');
    expect(findingsFor(before(STOP, ETA_WARNING_STOP_SECONDS + 60, 1000), 1000)).toEqual([]);
    expect(findingsFor(before(1_600_000_000, ETA_WARNING_FAILSAFE_SECONDS - 60, 100), 100)[0]!.severity).toBe('warning');
    expect(findingsFor(before(1_600_000_000, ETA_WARNING_FAILSAFE_SECONDS + 60, 100), 100)).toEqual([]);
  });

  it('silent when the limits are far, with no fitted rate, with no consumption, and in the stop zone itself', () => {
    expect(findingsFor(100_000_000, 1000)).toEqual([]); // 23 days to stop
    expect(findingsFor(before(STOP, DAY, 1000), undefined)).toEqual([]);
    expect(findingsFor(before(STOP, DAY, 1000), 0)).toEqual([]);
    expect(findingsFor(STOP + 1, 1000)).toEqual([]); // the xid-wraparound check reports the zone
  });
});

describe('freezing-behind', () => {
  const climbing = (from: number, to: number): Point[] => [[NOW - 120 * MIN, from], [NOW - 60 * MIN, (from + to) / 2], [NOW, to]];

  it('a warning past autovacuum_freeze_max_age when the age has not fallen for the window', () => {
    const [f, ...rest] = findingsFor(300_000_000, 100, { history: climbing(290_000_000, 300_000_000) });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ check: 'freezing-behind', severity: 'warning' });
    expectFindingShape(f!);
    expect(f!.summary).toBe('Database "app" is 300,000,000 XIDs old and its age has not fallen for 2h past autovacuum_freeze_max_age (200,000,000): freezing is not keeping up.');
    expect(f!.evidence[0]).toEqual({
      database: 'app',
      xid_age: 300_000_000,
      autovacuum_freeze_max_age: 200_000_000,
      climbing_since: new Date(NOW - 120 * MIN).toISOString(),
      climbing_for: '2h',
      points: 3,
      window: '1h',
    });
    expect(f!.evidence.slice(1).map((e) => e.to ?? e.fitted_over)).toEqual(['1h', 'failsafe', 'warning', 'stop']);
  });

  it('critical past the failsafe age (before PostgreSQL 14: past the warning limit)', () => {
    expect(findingsFor(1_700_000_000, undefined, { history: climbing(1_690_000_000, 1_700_000_000) })).toMatchObject([{ check: 'freezing-behind', severity: 'critical' }]);
    expect(findingsFor(1_700_000_000, undefined, { history: climbing(1_690_000_000, 1_700_000_000), limits: PRE14 })).toMatchObject([{ severity: 'warning' }]);
    expect(findingsFor(HALF - 5_000_000, undefined, { history: climbing(HALF - 6_000_000, HALF - 5_000_000), limits: PRE14 })).toMatchObject([{ severity: 'critical' }]);
  });

  it('silent while freezing keeps up, is just due, or the history is too short to tell', () => {
    const sawtooth: Point[] = [[NOW - 90 * MIN, 240_000_000], [NOW - 30 * MIN, 210_000_000], [NOW, 215_000_000]];
    expect(findingsFor(215_000_000, 100, { history: sawtooth })).toEqual([]);
    expect(findingsFor(205_000_000, 100, { history: [[NOW - 90 * MIN, 190_000_000], [NOW - 10 * MIN, 203_000_000], [NOW, 205_000_000]] })).toEqual([]);
    expect(findingsFor(300_000_000, 100, { history: [[NOW - 20 * MIN, 299_000_000], [NOW, 300_000_000]] })).toEqual([]);
    expect(findingsFor(150_000_000, 100)).toEqual([]);
  });
});

describe('forecastSamples', () => {
  it('one mvcc_database_xid_eta_seconds per limit ahead with a finite ETA', () => {
    const forecasts = forecastDatabases({
      now: NOW,
      fit: fitAt(1000),
      limits: LIMITS,
      databases: [{ database: 'app', age: 1_000_000_000, history: [] }, { database: 'postgres', age: 100, history: [] }],
    });
    const samples = forecastSamples(forecasts);
    expect(samples.map((s) => [s.labels.database, s.labels.limit])).toEqual([
      ['app', 'failsafe'], ['app', 'warning'], ['app', 'stop'],
      ['postgres', 'autovacuum_freeze_max_age'], ['postgres', 'failsafe'], ['postgres', 'warning'], ['postgres', 'stop'],
    ]);
    expect(samples.every((s) => s.metric === 'mvcc_database_xid_eta_seconds')).toBe(true);
    expect(samples[0]!.value).toBeCloseTo(600_000, 3);
  });

  it('none without a rate or at zero XIDs/s: never is not a number of seconds', () => {
    const at = (fit: RateFit | undefined) => forecastDatabases({ now: NOW, fit, limits: LIMITS, databases: [{ database: 'app', age: 100, history: [] }] });
    expect(forecastSamples(at(undefined))).toEqual([]);
    expect(forecastSamples(at(fitAt(0)))).toEqual([]);
  });
});

describe('forecastCluster', () => {
  it('from the stored series: the rate, the forecasts, their samples and findings', () => {
    const age = before(STOP, 2 * DAY, 1000);
    const result = forecastCluster({
      now: NOW,
      nextXid: nextXids(1000),
      ages: { app: [[NOW - 10 * MIN, age - 600_000], [NOW, age]], postgres: [[NOW, 50]], gone: [] },
      limits: LIMITS,
    });
    expect(result.fit).toMatchObject({ window: '1h', points: 61 });
    expect(result.databases.map((d) => [d.database, d.age])).toEqual([['app', age], ['postgres', 50]]);
    expect(result.findings.map((f) => [f.check, f.severity, f.subject.database])).toEqual([['wraparound-eta', 'critical', 'app']]);
    expect(result.samples.filter((s) => s.labels.database === 'app').map((s) => s.labels.limit)).toEqual(['warning', 'stop']);
    const early = forecastCluster({ now: NOW, nextXid: [], ages: { app: [[NOW, age]] }, limits: LIMITS });
    expect(early.fit).toBeUndefined();
    expect(early.samples).toEqual([]);
    expect(early.findings).toEqual([]);
  });
});
