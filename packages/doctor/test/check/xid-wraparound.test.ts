import { Cluster, clustersInZones, preparedTransaction, waitFor, STOP_MARGIN, xidWraparound as xidWraparoundScenario, type XidWraparoundFault } from '@mvcc-doctor/lab';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { examine } from '../../src/diagnose.js';
import { longRunRate } from '../../src/mvcc/xid-rate-evidence.js';
import xidWraparound from '../../src/checks/xid-wraparound.js';
import type { Finding } from '../../src/engine/finding.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { burnXids, FREEZE_MAX_AGE, XIDS } from './horizon-alone.js';
import { check, cli, findingsOf, realSkips } from './run-check.js';
import { database, HALF, prepared, snapshot, table } from './wraparound-rows.js';

const ready = existsSync('/usr/lib/postgresql/15/bin/pg_resetwal');
const noResetwal = !ready && 'PostgreSQL 15 with pg_resetwal is not installed';
const context = { thresholds: DEFAULT_THRESHOLDS };

/** Until the anti-wraparound autovacuum of `database` waits for a lock (the prepared transaction's). */
async function antiWraparoundWorker(cluster: Cluster, database: string): Promise<number> {
  return waitFor(async () => {
    const { rows } = await cluster.sql<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = $1 AND wait_event_type = 'Lock'
          AND query LIKE '%(to prevent wraparound)'`,
      [database],
    );
    return rows[0]?.pid;
  }, `an anti-wraparound autovacuum waiting in "${database}"`);
}

/** Until the server has run `seconds`: a longer-run rate must span more than the sample to say more than it. */
async function upFor(cluster: Cluster, seconds: number): Promise<void> {
  await waitFor(async () => {
    const { rows } = await cluster.sql<{ up: number }>('SELECT extract(epoch FROM clock_timestamp() - pg_postmaster_start_time())::float8 AS up');
    return rows[0]!.up >= seconds;
  }, `the server to have run ${seconds} s`, 60_000);
}

/** The ETAs of a finding: none may say "never" or "unknown" after a burst. */
function etasOf(finding: Finding): string[] {
  return finding.evidence.filter((e) => 'to' in e).map((e) => String(e.eta));
}

function tablesOf(finding: Finding): Record<string, unknown>[] {
  return finding.evidence.filter((e) => 'table' in e);
}

/** What every zone's xid-wraparound finding must say: the incident database, its oldest tables, the fix. */
function expectIncidentFinding(report: Report, fault: XidWraparoundFault, severity: Finding['severity']): Finding {
  const findings = findingsOf(report, 'xid-wraparound');
  const finding = findings[0]!;
  expect(finding).toMatchObject({ severity, subject: { database: 'incident' } });
  // The jump aged the other databases too, but only past autovacuum_freeze_max_age: the incident database leads.
  for (const other of findings.slice(1)) {
    expect(other.severity).toBe('warning');
    expect(other.evidence[0]).toMatchObject({ zone: 'autovacuum' });
    expect(other.subject.database).not.toBe('incident');
  }
  // Oldest tables first (the aged ones, then the oldest catalogs), TOAST ages alongside.
  const tables = tablesOf(finding);
  expect(tables.slice(0, fault.tables.length).map((t) => t.table)).toEqual(fault.tables.map((t) => t.table));
  expect(tables.map((t) => t.xid_age as number)).toEqual(tables.map((t) => t.xid_age as number).sort((a, b) => b - a));
  tables.slice(0, fault.tables.length).forEach((t, i) => {
    // XIDs consumed since the scenario measured (a burner, autovacuum's ANALYZE) age everything alike.
    expect((t.xid_age as number) - fault.tables[i]!.age).toBeGreaterThanOrEqual(0);
    expect((t.xid_age as number) - fault.tables[i]!.age).toBeLessThan(1_000_000);
    // Each TOAST table was made with its table: as old, give or take the XIDs of that CREATE TABLE.
    expect((t.xid_age as number) - (t.toast_xid_age as number)).toBeGreaterThanOrEqual(0);
    expect((t.xid_age as number) - (t.toast_xid_age as number)).toBeLessThan(10);
  });
  // First release the prepared transaction that locks the tables, then freeze oldest first, without truncation.
  const steps = finding.remediation.join('\n');
  const rollback = steps.indexOf(`\\connect "incident"\nROLLBACK PREPARED '${fault.gid}';  -- only once its transaction manager has given it up`);
  expect(rollback).toBeGreaterThanOrEqual(0);
  const freezes = tables.map((t) => String(t.table).split('.')).map(([schema, name]) => steps.indexOf(`VACUUM (FREEZE, TRUNCATE false, VERBOSE) "${schema}"."${name}";`));
  expect(freezes.every((at) => at > rollback)).toBe(true);
  expect([...freezes].sort((a, b) => a - b)).toEqual(freezes);
  return finding;
}

testCheck(xidWraparound, {
  evaluate: {
    faulty: [
      { name: 'past autovacuum_freeze_max_age: a warning', snapshot: snapshot([database('incident', 300_000_000)], []), findings: [{ severity: 'warning', subject: { database: 'incident' } }] },
      { name: 'past the failsafe age: critical', snapshot: snapshot([database('incident', 1_700_000_000)], []), findings: [{ severity: 'critical' }] },
    ],
    healthy: [{ name: 'younger than autovacuum_freeze_max_age', snapshot: snapshot([database('incident', 150_000_000), database('postgres', 1000)], []) }],
  },
  cluster: [
    suite({
      name: 'PostgreSQL 15 near-wraparound clusters, one per zone',
      skip: noResetwal,
      start: () => clustersInZones('xid', ['freeze-max-age', 'warning', 'stop'] as const, 'xidcheck', (cluster, zone) => xidWraparoundScenario(cluster, { zone })),
      faulty: {
        'zone 1 (past autovacuum_freeze_max_age): warning, with the measured rate and an ETA to each limit': async ({ clusters, faults }) => {
      const cluster = clusters.get('freeze-max-age')!;
      const fault = faults.get('freeze-max-age')!;
      const worker = await antiWraparoundWorker(cluster, 'incident');
      // Another session consumes XIDs while check samples the rate.
      const burner = await cluster.connect('postgres', 'lab-xid-burner');
      const burning = burner.query(
        `DO $$ DECLARE stop_at timestamptz := clock_timestamp() + interval '1.5 s';
           BEGIN WHILE clock_timestamp() < stop_at LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$`,
      );
      const report = await check(cluster, { sampleMs: 1000 });
      await burning;
      await burner.end();

      expect(report.exit_code).toBe(1);
      expect(findingsOf(report, 'xid-wraparound')).toHaveLength(1); // the other databases are younger than 200M
      expect(report.xid_rate!.xidsPerSecond).toBeGreaterThan(100);
      // No timing assertion: under load the measured interval is not exactly the one asked for.
      expect(report.xid_rate!.sampleSeconds).toBeGreaterThan(0);
      const finding = expectIncidentFinding(report, fault, 'warning');
      // datfrozenxid is the oldest table's relfrozenxid (read a moment apart while the burner runs).
      expect(finding.evidence[0]).toMatchObject({ database: 'incident', zone: 'autovacuum' });
      expect(Math.abs((finding.evidence[0]!.xid_age as number) - (tablesOf(finding)[0]!.xid_age as number))).toBeLessThan(100_000);
      expect(finding.evidence[1]).toMatchObject({ limits: { autovacuum: 200_000_000, failsafe: 1_600_000_000 }, rate: expect.stringMatching(/^[\d,]+ XIDs\/s over \d+(\.\d+)?s$/) });
      const etas = finding.evidence.filter((e) => 'to' in e);
      expect(etas.map((e) => e.to)).toEqual(['failsafe', 'warning', 'stop']);
      for (const e of etas) expect(e.eta).toMatch(/^\d+[smhd]/);
      expect(etas[2]!.xids_left).toBe(2 ** 31 - 1 - STOP_MARGIN - (finding.evidence[0]!.xid_age as number));
      expect(finding.summary).toMatch(/past autovacuum_freeze_max_age, anti-wraparound autovacuum should be freezing it \(failsafe in .+\)\.$/);

      // The anti-wraparound autovacuum that waits on the prepared transaction's lock, flagged as such.
      const [vacuum] = findingsOf(report, 'vacuum-running').filter((f) => f.subject.pid === worker);
      expect(vacuum).toMatchObject({ severity: 'warning', subject: { database: 'incident', table: expect.stringMatching(/^public\.aged_0\d$/) } });
      expect(vacuum!.summary).toMatch(/^Autovacuum \(anti-wraparound\) of public\.aged_0\d in "incident" is 0% through \(waiting for lock\)/);
          return report;
        },
        'zone 2 (warning limit): critical; without a sample the ETA comes from the longer run, or is unknown': async ({ clusters, faults }) => {
      const cluster = clusters.get('warning')!;
      const fault = faults.get('warning')!;
      const report = await check(cluster);
      expect(report.exit_code).toBe(2);
      expect(report.xid_rate).toBeNull();
      const finding = expectIncidentFinding(report, fault, 'critical');
      expect(finding.evidence[0]).toMatchObject({ zone: 'warn' });
      const stop = finding.evidence.find((e) => e.to === 'stop')!;
      // The copy of the template has run for seconds: the XIDs since its last checkpoint are evidence once it spans 10 s.
      const longer = finding.evidence[1]!.longer_run;
      expect(stop.eta).toMatch(longer ? / at the rate of the last \d+/ : /^unknown \(no --sample\)$/);
      expect(finding.evidence[1]!.rate_basis).toMatch(/^rate not sampled \(--sample\); /);
      // Autovacuum may spend a few XIDs (ANALYZE) since the scenario measured.
      expect(fault.xidsBeforeStop - (stop.xids_left as number)).toBeGreaterThanOrEqual(0);
      expect(fault.xidsBeforeStop - (stop.xids_left as number)).toBeLessThan(10_000);
      expect(finding.summary).toMatch(/^Database "incident" is [\d,]+ XIDs old: inside the wraparound warning zone, [\d,]+ XIDs \((unknown \(no --sample\)|.+ at the rate of the last .+)\) before it stops accepting writes\.$/);
          return report;
        },
        'zone 3 (stop): check works where no XID can be assigned — exit 2, a sample, no error': async ({ clusters, faults }) => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      const worker = await antiWraparoundWorker(cluster, 'incident');
      const { code, stdout, stderr } = await cli(['check', cluster.connectionString(), '--json', '--sample', '500ms']);
      expect(stderr).toBe('');
      expect(code).toBe(2);
      const report = JSON.parse(stdout) as Report;
      expect(report.exit_code).toBe(2);
      expect(report.xid_rate).toMatchObject({ xidsPerSecond: 0 });
      expect(realSkips(report.skipped)).toEqual([]);
      const finding = expectIncidentFinding(report, fault, 'critical');
      expect(finding.evidence[0]).toMatchObject({ zone: 'stop' });
      expect(finding.summary).toMatch(/it is in the stop zone and refuses every command that needs a new transaction ID\.$/);
      expect(findingsOf(report, 'vacuum-running').find((f) => f.subject.pid === worker)?.summary).toContain('(anti-wraparound)');
      // The seconds-old prepared transaction is critical here: its database is in the stop zone and its locks keep VACUUM out.
      const holder = findingsOf(report, 'prepared-transaction').find((f) => f.subject.gid === fault.gid);
      expect(holder).toMatchObject({ severity: 'critical', subject: { database: 'incident' } });
      expect(holder!.summary).toMatch(/"incident" is in the wraparound stop zone and these locks keep every VACUUM of its tables waiting\.$/);
      expect(holder!.evidence.filter((e) => 'lock' in e).map((e) => e.relation)).toContain(fault.tables[0]!.table);
      // Still refusing: the check itself took no XID.
      await expect(cluster.sql('SELECT txid_current()', [], 'incident')).rejects.toMatchObject({ code: '54000' });
          return report;
        },
      },
    }),
    suite({
      name: `PostgreSQL 18 after a burst of ${XIDS} XIDs, autovacuum_freeze_max_age ${FREEZE_MAX_AGE}, a prepared transaction holding the age`,
      start: () => Cluster.create({ major: 18, label: 'xideta', autovacuum: false, settings: { autovacuum_freeze_max_age: FREEZE_MAX_AGE } }),
      healthy: { 'a fresh cluster, sampled: no wraparound finding': (cluster) => check(cluster, { sampleMs: 1000 }) },
      faulty: {
        'the 1 s sample sees no XIDs: the ETA comes from the XIDs since the last checkpoint, and says so': async (cluster) => {
          const fault = await preparedTransaction(cluster);
          try {
            await burnXids(cluster, XIDS);
            await upFor(cluster, 12);
            const report = await check(cluster, { sampleMs: 1000 });
            const finding = findingsOf(report, 'xid-wraparound').find((f) => f.subject.database === 'postgres')!;
            expect(finding.evidence[1]).toMatchObject({
              rate_basis: expect.stringMatching(/ s sample; over the last \d+s \(since the last checkpoint\) the rate was [\d,]+ XIDs\/s$/),
              longer_run: { source: 'checkpoint', at_most: false },
            });
            const longer = finding.evidence[1]!.longer_run as { seconds: number; xids_per_second: number };
            // Every XID of the burst is in the count since the checkpoint (the server's start, at the latest).
            expect(longer.xids_per_second * longer.seconds).toBeGreaterThanOrEqual(XIDS * 0.95);
            expect(report.xid_rate_basis).toBe(finding.evidence[1]!.rate_basis);
            const etas = etasOf(finding);
            expect(etas.length).toBeGreaterThan(0);
            for (const eta of etas) expect(eta).toMatch(/^\d+[smhd].* at the rate of the last \d+s$/);
            expect(finding.summary).toMatch(/\(failsafe in \d+[smhd].* at the rate of the last \d+s\)/);
            return report;
          } finally {
            await fault.release();
          }
        },
      },
    }),
    suite({
      name: 'a fresh PostgreSQL 15 cluster',
      skip: noResetwal,
      start: () => Cluster.create({ major: 15, label: 'xidcheck-fresh' }),
      healthy: { 'no wraparound finding': (fresh) => check(fresh) },
    }),
  ],
});

describe('xid-wraparound on row fixtures', () => {
  it('severity by zone: warning past autovacuum_freeze_max_age, critical from the failsafe age on, nothing below', () => {
    const severity = (age: number) => xidWraparound.evaluate(snapshot([database('incident', age)], []), context)[0]?.severity;
    expect(severity(150_000_000)).toBeUndefined();
    expect(severity(300_000_000)).toBe('warning');
    expect(severity(1_700_000_000)).toBe('critical');
    expect(severity(HALF - 20_000_000)).toBe('critical');
    expect(severity(HALF - 1_000_000)).toBe('critical');
  });

  it('releases a young prepared transaction first when it locks the tables against VACUUM, not one that only wrote', () => {
    const tables = [table('aged_01', 1_000_000_000), table('aged_02', 800_000_000)];
    const blocking = prepared('in-doubt', 1_000_000, 'ShareUpdateExclusiveLock');
    const harmless = prepared('writer', 1_000_000, 'RowExclusiveLock');
    const [finding] = xidWraparound.evaluate(snapshot([database('incident', 1_000_000_000)], tables, [blocking, harmless]), context);
    const steps = finding!.remediation.join('\n');
    expect(steps).toContain(`ROLLBACK PREPARED 'in-doubt';`);
    expect(steps).not.toContain(`ROLLBACK PREPARED 'writer';`);
    expect(steps.indexOf(`ROLLBACK PREPARED 'in-doubt'`)).toBeLessThan(steps.indexOf('VACUUM (FREEZE, TRUNCATE false, VERBOSE) "public"."aged_01";'));
    expect(steps.indexOf('"aged_01"')).toBeLessThan(steps.indexOf('"aged_02"'));
    // A holder as old as half the database's age caps any freeze: it is released whatever it locks.
    const [old] = xidWraparound.evaluate(snapshot([database('incident', 1_000_000_000)], tables, [prepared('ancient', 600_000_000, 'RowExclusiveLock')]), context);
    expect(old!.remediation.join('\n')).toContain(`ROLLBACK PREPARED 'ancient';`);
  });

  it('time left to each limit from the sampled rate, TOAST ages in the table evidence', () => {
    const [finding] = xidWraparound.evaluate(snapshot([database('incident', HALF - 20_000_000)], [table('aged_01', HALF - 20_000_000)]), context);
    expect(finding!.evidence).toContainEqual({ to: 'stop', xids_left: 17_000_000, eta: '4h 43m' });
    expect(finding!.evidence).toContainEqual({ table: 'public.aged_01', xid_age: HALF - 20_000_000, toast_xid_age: HALF - 20_000_001, pages: 11 });
    expect(finding!.summary).toBe(`Database "incident" is ${(HALF - 20_000_000).toLocaleString('en-US')} XIDs old: inside the wraparound warning zone, 17,000,000 XIDs (4h 43m) before it stops accepting writes.`);
  });
});

describe('the longer-run XID rate on a real server', () => {
  it('right after a CHECKPOINT, a relation vacuumed before the last XIDs gives a ceiling on the rate, and says which', async () => {
    // autovacuum off and the default autovacuum_freeze_max_age: nothing but our VACUUM touches relfrozenxid.
    const cluster = await Cluster.create({ major: 18, label: 'xidceiling', autovacuum: false });
    try {
      await cluster.sql('CREATE TABLE ledger (id int)');
      await burnXids(cluster, 20_000);
      await cluster.sql('VACUUM ledger');
      await burnXids(cluster, 20_000);
      await waitFor(async () => {
        const { rows } = await cluster.sql<{ ok: boolean }>(`SELECT last_vacuum < clock_timestamp() - interval '11 s' AS ok FROM pg_stat_user_tables WHERE relname = 'ledger'`);
        return rows[0]?.ok;
      }, 'the VACUUM of ledger to be 11 s old', 60_000);
      await cluster.sql('CHECKPOINT');
      const { snapshot, report } = await examine(resolveConnOptions({ conninfo: cluster.connectionString() }), { sampleMs: 1000 });
      const longRun = longRunRate(snapshot)!;
      expect(longRun).toMatchObject({ source: 'vacuum', atMost: true, relation: 'public.ledger' });
      // A ceiling: at least the 20,000 XIDs consumed since that VACUUM, whatever the window.
      expect(longRun.xidsPerSecond * longRun.seconds).toBeGreaterThanOrEqual(20_000);
      expect(longRun.xidsPerSecond * longRun.seconds).toBeLessThan(21_000);
      expect(report.xid_rate_basis).toMatch(/ s sample; over the last \d+s \(since public\.ledger was last vacuumed\) the rate was at most [\d,]+ XIDs\/s$/);
    } finally {
      await cluster.destroy();
    }
  });
});
