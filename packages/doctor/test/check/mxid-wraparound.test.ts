import { Cluster, clustersInZones, mxidWraparound as mxidWraparoundScenario, type MxidWraparoundFault } from '@mvcc-doctor/lab';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import mxidWraparound from '../../src/checks/mxid-wraparound.js';
import type { Finding } from '../../src/engine/finding.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, cli, findingsOf } from './run-check.js';
import { database, prepared, snapshot, table } from './wraparound-rows.js';

const ready = existsSync('/usr/lib/postgresql/15/bin/pg_resetwal');
const noResetwal = !ready && 'PostgreSQL 15 with pg_resetwal is not installed';
const context = { thresholds: DEFAULT_THRESHOLDS };

/** The incident database leads with `severity`; its oldest tables by MultiXact age first; release, then freeze. */
function expectIncidentFinding(report: Report, fault: MxidWraparoundFault, severity: Finding['severity']): Finding {
  const findings = findingsOf(report, 'mxid-wraparound').filter((f) => f.subject.database !== undefined);
  const finding = findings[0]!;
  expect(finding).toMatchObject({ severity, subject: { database: 'incident' } });
  for (const other of findings.slice(1)) expect(other.subject.database).not.toBe('incident');
  const tables = finding.evidence.filter((e) => 'table' in e);
  expect(tables.slice(0, fault.tables.length).map((t) => t.table)).toEqual(fault.tables.map((t) => t.table));
  tables.slice(0, fault.tables.length).forEach((t, i) => expect(t.mxid_age).toBe(fault.tables[i]!.mxidAge));
  const steps = finding.remediation.join('\n');
  const rollback = steps.indexOf(`\\connect "incident"\nROLLBACK PREPARED '${fault.gid}';  -- only once its transaction manager has given it up`);
  expect(rollback).toBeGreaterThanOrEqual(0);
  const freezes = fault.tables.map((t) => steps.indexOf(`VACUUM (FREEZE, TRUNCATE false, VERBOSE) "public"."${t.table.slice('public.'.length)}";`));
  expect(freezes.every((at) => at > rollback)).toBe(true);
  expect([...freezes].sort((a, b) => a - b)).toEqual(freezes);
  return finding;
}

testCheck(mxidWraparound, {
  evaluate: {
    faulty: [{ name: 'past autovacuum_multixact_freeze_max_age: a warning', snapshot: snapshot([database('incident', 5, 500_000_000)], []), findings: [{ severity: 'warning', subject: { database: 'incident' } }] }],
    healthy: [{ name: 'younger than autovacuum_multixact_freeze_max_age, old in XIDs', snapshot: snapshot([database('incident', 300_000_000, 300_000_000)], []) }],
  },
  cluster: [
    suite({
      name: 'PostgreSQL 15 near-MultiXact-wraparound clusters, one per zone',
      skip: noResetwal,
      start: () => clustersInZones('multixact', ['freeze-max-age', 'warning', 'stop'] as const, 'mxidcheck', (cluster, zone) => mxidWraparoundScenario(cluster, { zone })),
      faulty: {
        'zone 1 (past autovacuum_multixact_freeze_max_age): warning, MultiXacts left to each limit': async ({ clusters, faults }) => {
      const fault = faults.get('freeze-max-age')!;
      const report = await check(clusters.get('freeze-max-age')!);
      const finding = expectIncidentFinding(report, fault, 'warning');
      expect(finding.evidence[0]).toMatchObject({ database: 'incident', zone: 'autovacuum', mxid_age: fault.tables[0]!.mxidAge });
      expect(finding.evidence[1]).toMatchObject({ limits: { autovacuum: 400_000_000, failsafe: 1_600_000_000 } });
      const left = finding.evidence.filter((e) => 'to' in e);
      expect(left.map((e) => e.to)).toEqual(['failsafe', 'warning', 'stop']);
      expect(left[2]!.multixacts_left).toBe(fault.multisLeft - 3_000_000);
      expect(finding.summary).toMatch(/^Database "incident" is [\d,]+ MultiXacts old \(past autovacuum_multixact_freeze_max_age\), [\d,]+ before the failsafe limit\.$/);
      expect(findingsOf(report, 'xid-wraparound')).toEqual([]); // XIDs are far from any limit here
          return report;
        },
        'zone 1 with --sample: the MultiXact rate, measured while two sessions share-lock rows, and an ETA to each limit': async ({ clusters }) => {
          let report: Report | undefined;
      const cluster = clusters.get('freeze-max-age')!;
      await cluster.sql('CREATE TABLE IF NOT EXISTS shared_rows (id int PRIMARY KEY); INSERT INTO shared_rows VALUES (1) ON CONFLICT DO NOTHING');
      const [a, b] = [await cluster.connect(), await cluster.connect()];
      let sharing = true;
      // Two transactions share-locking one row: each round makes a new MultiXact in the row's xmax.
      const churn = (async () => {
        while (sharing) {
          for (const s of [a, b]) await s.query('BEGIN; SELECT * FROM shared_rows WHERE id = 1 FOR SHARE');
          for (const s of [a, b]) await s.query('COMMIT');
        }
      })();
      try {
        report = await check(cluster, { sampleMs: 1000 });
        // Every MultiXact made here ages the tables, so this runs after the exact-age test above.
        const finding = findingsOf(report, 'mxid-wraparound').find((f) => f.subject.database === 'incident')!;
        expect(finding.severity).toBe('warning');
        expect(finding.evidence[1]).toMatchObject({ rate: expect.stringMatching(/^[\d,]+ MultiXacts\/s over \d+(\.\d+)?s$/) });
        expect(Number(String(finding.evidence[1]!.rate).split(' ')[0]!.replace(/,/g, ''))).toBeGreaterThan(0);
        const left = finding.evidence.filter((e) => 'to' in e);
        for (const l of left) expect(l.eta).toMatch(/^\d+[smhd]/);
        expect(finding.summary).toMatch(/before the failsafe limit \(\d+[smhd][^)]*\)\.$/);
      } finally {
        sharing = false;
        await churn;
        await Promise.all([a.end(), b.end()]);
      }
          return report!;
        },
        'zone 2 (warning limit): critical': async ({ clusters, faults }) => {
      const fault = faults.get('warning')!;
      const report = await check(clusters.get('warning')!);
      expect(report.exit_code).toBe(2);
      const finding = expectIncidentFinding(report, fault, 'critical');
      expect(finding.evidence[0]).toMatchObject({ zone: 'warn', mxid_age: 2 ** 31 - 1 - fault.multisLeft });
      expect(finding.summary).toContain('inside the warning zone');
          return report;
        },
        'zone 3 (stop): critical, and check runs through the CLI with exit 2': async ({ clusters, faults }) => {
      const fault = faults.get('stop')!;
      const { code, stdout, stderr } = await cli(['check', clusters.get('stop')!.connectionString(), '--json', '--sample', '0']);
      expect(stderr).toBe('');
      expect(code).toBe(2);
      const report = JSON.parse(stdout) as Report;
      const finding = expectIncidentFinding(report, fault, 'critical');
      expect(finding.evidence[0]).toMatchObject({ zone: 'stop' });
      expect(finding.summary).toBe(`Database "incident" is ${(2 ** 31 - 1 - fault.multisLeft).toLocaleString('en-US')} MultiXacts old: it refuses commands that create new MultiXact IDs.`);
          return report;
        },
      },
    }),
    suite({
      name: 'a fresh PostgreSQL 15 cluster',
      skip: noResetwal,
      start: () => Cluster.create({ major: 15, label: 'mxidcheck-fresh' }),
      healthy: { 'no MultiXact wraparound finding': (fresh) => check(fresh) },
    }),
  ],
});

describe('mxid-wraparound on row fixtures', () => {
  it('names the prepared transaction whose locks keep VACUUM away, before the freezes, oldest first', () => {
    const tables = [table('aged_02', 5, 700_000_000), table('aged_01', 5, 900_000_000)];
    const [finding] = mxidWraparound.evaluate(snapshot([database('incident', 5, 900_000_000)], tables, [prepared('in-doubt', 10, 'ShareUpdateExclusiveLock')]), context);
    expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'incident' } });
    expect(finding!.remediation.slice(0, 2)).toEqual([
      '-- first release what keeps VACUUM from these tables:',
      `\\connect "incident"\nROLLBACK PREPARED 'in-doubt';  -- only once its transaction manager has given it up`,
    ]);
    const steps = finding!.remediation.join('\n');
    expect(steps.indexOf('"aged_01"')).toBeLessThan(steps.indexOf('"aged_02"'));
  });
});
