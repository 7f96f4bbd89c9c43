import { Cluster, clustersInZones, waitFor, xidWraparound, type XidWraparoundFault, type ZoneClusters } from '@mvcc-doctor/lab';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/connect/safe-session.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import { forecastCluster, type ClusterForecast } from '../../src/monitor/forecast/forecast-cluster.js';
import type { LimitName } from '../../src/monitor/forecast/forecast-databases.js';
import { ETA_CRITICAL_STOP_SECONDS, ETA_WARNING_STOP_SECONDS } from '../../src/monitor/forecast/forecast-findings.js';
import type { Observation } from '../../src/monitor/observation.js';
import { observe } from '../../src/monitor/observe.js';
import { resolveServeConfig } from '../../src/monitor/serve-config.js';
import { startServe } from '../../src/monitor/serve.js';
import { burnXids, databaseAge, historyOf, observeEvery, targetOf, type TrueRate } from './forecast-history.js';

/** XIDs per second the burner consumes: enough that the stop limit of a fresh cluster is months, not years, away. */
const RATE = 200;
/** serve observes every 15 s; every 2 s here, 25 times: a fit over 48 s. */
const EVERY_MS = 2000;
const HALF = 2 ** 31 - 1;

/** |forecast - truth| / truth. */
const relativeError = (forecast: number, truth: number) => Math.abs(forecast - truth) / truth;

/** The forecast's seconds to `limit` for `database`, checked against its mvcc_database_xid_eta_seconds sample. */
function etaSeconds(forecast: ClusterForecast, database: string, limit: LimitName): number {
  const eta = forecast.databases.find((d) => d.database === database)!.etas.find((e) => e.limit === limit)!;
  const sample = forecast.samples.find((s) => s.labels.database === database && s.labels.limit === limit);
  expect(sample?.value).toBe(eta.seconds);
  return eta.seconds!;
}

/** Consume XIDs at RATE while observing; the forecast from those observations, and the truth. */
async function observeWhileBurning(cluster: Cluster, count = 25): Promise<{ observations: Observation[]; truth: TrueRate }> {
  const burner = await burnXids(cluster, RATE);
  const observations = await observeEvery(targetOf(cluster), EVERY_MS, count);
  const truth = await burner.stop();
  // Sanity, not timing: the burner did consume, so the forecast has something to measure.
  expect(truth.burned).toBeGreaterThan(1000);
  return { observations, truth };
}

describe('forecasts from observe() of a fresh cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'forecast-rate' });
  });
  afterAll(() => cluster?.destroy());

  it(`consuming ~${RATE} XIDs/s: the fitted rate and the ETAs to the stop limit and autovacuum_freeze_max_age are within 10% of the truth`, async () => {
    const { observations, truth } = await observeWhileBurning(cluster);
    const age = await databaseAge(cluster, 'postgres');
    const history = historyOf(observations);
    expect(history.limits).toEqual({ autovacuum_freeze_max_age: 200_000_000, failsafe: 1_600_000_000, warning: HALF - 40_000_000, stop: HALF - 3_000_000 });
    const forecast = forecastCluster(history);

    expect(forecast.fit).toMatchObject({ window: '1h', points: 25 });
    expect(relativeError(forecast.fit!.xidsPerSecond, truth.xidsPerSecond)).toBeLessThan(0.1);
    for (const limit of ['autovacuum_freeze_max_age', 'stop'] as const) {
      const truthSeconds = (history.limits[limit]! - age) / truth.xidsPerSecond;
      expect(relativeError(etaSeconds(forecast, 'postgres', limit), truthSeconds), `${limit}: forecast vs ${truthSeconds} s`).toBeLessThan(0.1);
    }
    // Months away at this rate: nothing to report.
    expect(etaSeconds(forecast, 'postgres', 'stop')).toBeGreaterThan(ETA_WARNING_STOP_SECONDS);
    expect(forecast.findings).toEqual([]);

    // The fit is an XidRate the checks accept: observe() judges by it, and the report says so.
    const judged = await observe(targetOf(cluster), { thresholds: DEFAULT_THRESHOLDS, limits: DEFAULT_LIMITS, xidRate: forecast.fit!.xidRate });
    expect(judged.ok && judged.report.xid_rate).toEqual({ xidsPerSecond: forecast.fit!.xidsPerSecond, sampleSeconds: forecast.fit!.spanSeconds, source: 'history' });
    expect(judged.ok && judged.report.xid_rate_basis).toMatch(/^[\d,]+ XIDs\/s fitted over the last \d+s of history/);
  });

  it('the daemon fits the same rate from its own history: /metrics and /api/clusters carry the ETA, and the checks judge by it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mvcc-forecast-serve-'));
    const burner = await burnXids(cluster, RATE);
    const config = resolveServeConfig({ target: [`lab=${cluster.connectionString()}`], data: dir, listen: '127.0.0.1:0', interval: '2s' }, {});
    const daemon = await startServe(config, () => undefined);
    try {
      type Rate = { xidsPerSecond: number; sampleSeconds: number } | null;
      const { eta, judged } = await waitFor(async () => {
        const { clusters } = (await (await fetch(new URL('/api/clusters', daemon.url))).json()) as { clusters: { nearest_eta: { database: string; limit: string; seconds: number } | null; xid_rate: Rate }[] };
        const { report } = (await (await fetch(new URL('/api/findings?cluster=lab', daemon.url))).json()) as { report: { xid_rate: Rate } | null };
        // Fits over 40 s or more, as the observe() test above: a shorter one can take a catch-up burst for the rate.
        // The report's rate is the one its observation was judged by (fitted before it), so it lags by one interval.
        const fitted = (rate: Rate | undefined) => (rate?.sampleSeconds ?? 0) >= 40;
        return fitted(clusters[0]?.xid_rate) && fitted(report?.xid_rate) && clusters[0]!.nearest_eta ? { eta: clusters[0]!.nearest_eta, judged: report!.xid_rate! } : undefined;
      }, 'an ETA from the daemon, fitted over 40 s', 150_000);
      const metrics = await (await fetch(new URL('/metrics', daemon.url))).text();
      const truth = await burner.stop();
      // The nearest limit of a fresh cluster is autovacuum_freeze_max_age.
      expect(eta.limit).toBe('autovacuum_freeze_max_age');
      const age = await databaseAge(cluster, eta.database);
      expect(relativeError(eta.seconds, (200_000_000 - age) / truth.xidsPerSecond)).toBeLessThan(0.1);
      expect(metrics).toMatch(/^mvcc_database_xid_eta_seconds\{cluster="lab",database="postgres",limit="stop"\} [\d.e+]+$/m);
      expect(relativeError(judged.xidsPerSecond, truth.xidsPerSecond)).toBeLessThan(0.1);
    } finally {
      await burner.stop().catch(() => undefined);
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('healthy: nothing consumes XIDs, the fitted rate is about zero and there is no wraparound-eta finding', async () => {
    const forecast = forecastCluster(historyOf(await observeEvery(targetOf(cluster), EVERY_MS, 17)));
    expect(forecast.fit!.spanSeconds).toBeGreaterThanOrEqual(30);
    expect(forecast.fit!.xidsPerSecond).toBeLessThan(5); // autovacuum may take a few
    expect(forecast.findings).toEqual([]);
    expect(forecast.databases.map((d) => d.freezing.verdict)).toEqual(forecast.databases.map(() => 'not-due'));
  });
});

const noResetwal = !existsSync('/usr/lib/postgresql/15/bin/pg_resetwal') && 'PostgreSQL 15 with pg_resetwal is not installed';

describe.skipIf(noResetwal)('forecasts from observe() of a database near wraparound (PostgreSQL 15, warning zone)', () => {
  /** Short, so a test can wait it out: the database's age must not fall for this long to count as behind. */
  const freezingWindowSeconds = 20;
  let zones: ZoneClusters<'warning', XidWraparoundFault>;
  let cluster: Cluster;
  let fault: XidWraparoundFault;
  const all: Observation[] = [];
  beforeAll(async () => {
    zones = await clustersInZones('xid', ['warning'] as const, 'forecast', (c) => xidWraparound(c, { zone: 'warning' }));
    cluster = zones.clusters.get('warning')!;
    fault = zones.faults.get('warning')!;
  });
  afterAll(() => zones?.destroy());

  it('nothing consumes XIDs: no wraparound-eta however old the database; the prepared transaction keeps it from freezing: freezing-behind, critical', async () => {
    const observations = await observeEvery(targetOf(cluster), EVERY_MS, 17);
    all.push(...observations);
    const forecast = forecastCluster({ ...historyOf(observations), freezingWindowSeconds });
    expect(forecast.fit!.xidsPerSecond).toBeLessThan(5); // autovacuum may take a few
    expect(forecast.findings.filter((f) => f.check === 'wraparound-eta')).toEqual([]);

    const incident = forecast.databases.find((d) => d.database === 'incident')!;
    expect(incident.freezing).toMatchObject({ verdict: 'behind', points: 17 });
    const behind = forecast.findings.find((f) => f.check === 'freezing-behind' && f.subject.database === 'incident')!;
    expect(behind.severity).toBe('critical'); // past vacuum_failsafe_age
    expect(behind.summary).toMatch(/^Database "incident" is [\d,]+ XIDs old and its age has not fallen for [\dms ]+ past autovacuum_freeze_max_age \(200,000,000\): freezing is not keeping up\.$/);

    // The remediation's SQL runs as printed: the oldest table first, and the VACUUMs \gexec would run.
    const [list, generate] = [behind.remediation[2]!, behind.remediation[4]!].map((line) => line.replace(/^\\connect "incident"\n/, ''));
    const { rows } = await cluster.sql<{ table: string; xid_age: number }>(list!, [], 'incident');
    expect(rows[0]).toMatchObject({ table: fault.tables[0]!.table.replace(/^public\./, '') });
    expect(rows[0]!.xid_age).toBeGreaterThanOrEqual(fault.tables[0]!.age);
    const { rows: vacuums } = await cluster.sql<{ format: string }>(generate!.replace(/ \\gexec$/, ''), [], 'incident');
    expect(vacuums[0]!.format).toBe(`VACUUM (FREEZE, TRUNCATE false, VERBOSE) ${rows[0]!.table}`);
  });

  it(`consuming ~${RATE} XIDs/s: wraparound-eta is critical, its ETA to the stop limit within 10% of the truth`, async () => {
    const { observations, truth } = await observeWhileBurning(cluster);
    all.push(...observations);
    const age = await databaseAge(cluster, 'incident');
    const history = historyOf(observations);
    expect(history.limits.stop).toBe(HALF - 3_000_000);
    const forecast = forecastCluster(history);

    expect(relativeError(forecast.fit!.xidsPerSecond, truth.xidsPerSecond)).toBeLessThan(0.1);
    const truthSeconds = (history.limits.stop! - age) / truth.xidsPerSecond;
    expect(truthSeconds).toBeLessThan(ETA_CRITICAL_STOP_SECONDS); // ~17M XIDs left at ~200/s: about a day
    expect(relativeError(etaSeconds(forecast, 'incident', 'stop'), truthSeconds)).toBeLessThan(0.1);
    const eta = forecast.findings.find((f) => f.check === 'wraparound-eta' && f.subject.database === 'incident')!;
    expect(eta.severity).toBe('critical');
    expect(eta.summary).toMatch(/^Database "incident" reaches the XID stop limit in (\d+h( \d+m)?|1d( \d+h)?) at [\d,]+ XIDs\/s \(the last hour's rate\)\.$/);
    expect(eta.evidence[2]).toMatchObject({ to: 'stop', xids_left: expect.any(Number) });
  });

  it('the prepared transaction rolled back: autovacuum freezes, the age falls, and freezing-behind goes quiet', async () => {
    const before = await databaseAge(cluster, 'incident');
    await fault.release();
    // Observe until an observation shows the fall, and once more.
    const target = targetOf(cluster);
    const lastAge = () => historyOf(all).ages.incident!.at(-1)![1];
    for (let waited = 0; ; waited++) {
      all.push(...(await observeEvery(target, EVERY_MS, 1)));
      if (lastAge() < before) break;
      expect(waited, 'autovacuum to freeze "incident" within two minutes').toBeLessThan(60);
      await sleep(EVERY_MS);
    }
    await sleep(EVERY_MS);
    all.push(...(await observeEvery(target, EVERY_MS, 1)));

    const forecast = forecastCluster({ ...historyOf(all), freezingWindowSeconds });
    const incident = forecast.databases.find((d) => d.database === 'incident')!;
    expect(incident.age).toBeLessThan(before);
    expect(['keeping-up', 'not-due']).toContain(incident.freezing.verdict);
    expect(forecast.findings.filter((f) => f.check === 'freezing-behind' && f.subject.database === 'incident')).toEqual([]);
  });
});
