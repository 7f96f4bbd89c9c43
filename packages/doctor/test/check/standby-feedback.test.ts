import { Cluster, waitFor, standbyFeedback as standbyFeedbackScenario, type StandbyFeedbackFault, startStandby, type Standby } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import standbyFeedback from '../../src/checks/standby-feedback.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, findingsOf, realSkips } from './run-check.js';
import { snapshot, standby } from './row-fixtures.js';

/**
 * The feedback xmin the primary holds while the standby's snapshot stays open. The scenario read it once; the
 * walreceiver may report a newer one since (up to the snapshot's own xmin, never past it while it is open).
 */
function heldFeedbackXmin(fault: StandbyFeedbackFault) {
  return expect.toSatisfy((xmin: unknown) => BigInt(String(xmin)) >= BigInt(fault.feedbackXmin) && BigInt(String(xmin)) <= BigInt(fault.standbyXmin));
}

testCheck(standbyFeedback, {
  evaluate: {
    faulty: [
      {
        name: 'a standby holding the horizon past the XID threshold: a warning naming it',
        snapshot: snapshot({ standbys: [standby('replica-reports', { backend_xmin: '900', xmin_age: 2_000_000 })] }),
        findings: [
          {
            severity: 'warning',
            subject: { standby: 'replica-reports' },
            summary: `Standby "replica-reports" (10.0.0.2) holds the primary's horizon 2,000,000 XIDs back through hot_standby_feedback.`,
            evidence: [{ application_name: 'replica-reports', backend_xmin: '900', xmin_age: 2_000_000 }],
          },
        ],
      },
      { name: '100M XIDs behind: critical', snapshot: snapshot({ standbys: [standby('replica-reports', { backend_xmin: '900', xmin_age: 100_000_000 })] }), findings: [{ severity: 'critical' }] },
    ],
    healthy: [
      { name: 'feedback below the XID threshold', snapshot: snapshot({ standbys: [standby('replica-reports', { backend_xmin: '900', xmin_age: 999_999 })] }) },
      { name: 'hot_standby_feedback off (no xmin), even at threshold 0', snapshot: snapshot({ standbys: [standby('replica-reports')] }), thresholds: { slotXids: 0 } },
    ],
  },
  cluster: [
    suite({
      name: 'a PostgreSQL 15 primary and its streaming standby, hot_standby_feedback on',
      start: async () => {
        const primary = await Cluster.create({ major: 15, label: 'sbcheck-primary' });
        let replica: Standby;
        try {
          replica = await startStandby(primary, { applicationName: 'replica-reports' });
        } catch (error) {
          await primary.destroy();
          throw error;
        }
        return {
          primary,
          standby: replica,
          destroy: async () => {
            await replica.cluster.destroy();
            await primary.destroy();
          },
        };
      },
      healthy: {
        'an idle standby with feedback on: standby-feedback stays silent on the primary': async ({ primary }) => {
          const report = await check(primary, { thresholds: { slotXids: 500, horizonXids: 500 } });
          expect(findingsOf(report, 'xmin-horizon')).toEqual([]);
          return report;
        },
        'check connected to the standby works: in_recovery, nothing skipped, and it sees the standby session that pins': async ({ standby: replica }) => {
          const fault = await standbyFeedbackScenario(replica, { xids: 10, deadRows: 10 });
          let report: Report;
          try {
            // With a sample too: the XID rate comes from snapshots, which a standby serves.
            report = await check(replica.cluster, { thresholds: { idleInTransactionSeconds: 0 }, sampleMs: 300 });
            expect(report.server).toMatchObject({ in_recovery: true, version_num: expect.any(Number) });
            expect(report.xid_rate).toMatchObject({ xidsPerSecond: expect.any(Number) });
            expect(realSkips(report.skipped)).toEqual([]);
            expect(report.databases_examined).toEqual(['postgres', 'template1']);
            expect(findingsOf(report, 'idle-in-transaction')).toMatchObject([{ subject: { database: 'postgres', pid: fault.standbyPid } }]);
            // A standby has no walsenders of its own: nothing to report there (the tester asserts it).
          } finally {
            await fault.release();
          }
          return report;
        },
      },
      faulty: {
        "a standby query holding the primary's horizon: standby-feedback names the standby, xmin-horizon too": async ({ primary, standby: replica }) => {
          const fault = await standbyFeedbackScenario(replica, { xids: 1000, deadRows: 200 });
          let report: Report;
          try {
            // Production threshold: 1M XIDs behind. A thousand is not yet worth a finding.
            expect(findingsOf(await check(primary), 'standby-feedback')).toEqual([]);

            report = await check(primary, { thresholds: { slotXids: 500, horizonXids: 500 } });
            const [finding, ...more] = findingsOf(report, 'standby-feedback');
            expect(more).toEqual([]);
            expect(finding).toMatchObject({ severity: 'warning', subject: { standby: 'replica-reports' } });
            expect(finding!.summary).toMatch(/^Standby "replica-reports" \(127\.0\.0\.1\) holds the primary's horizon 1,\d{3} XIDs back through hot_standby_feedback\.$/);
            expect(finding!.evidence[0]).toMatchObject({ application_name: 'replica-reports', client_addr: '127.0.0.1', state: 'streaming', backend_xmin: heldFeedbackXmin(fault) });
            expect(finding!.remediation[0]).toMatch(/^-- on the standby: find and end its oldest query/);

            const [horizon] = findingsOf(report, 'xmin-horizon');
            expect(horizon).toMatchObject({ severity: 'warning', subject: { standby: 'replica-reports' } });
            expect(horizon!.evidence[0]).toMatchObject({ holder: 'standby "replica-reports" through hot_standby_feedback', xmin: heldFeedbackXmin(fault), reach: 'cluster' });
          } finally {
            await fault.release();
          }
          await waitFor(async () => {
            const { rows } = await primary.sql<{ age: number | null }>(`SELECT age(backend_xmin) AS age FROM pg_stat_replication WHERE application_name = 'replica-reports'`);
            return rows[0] && (rows[0].age === null || rows[0].age < 100);
          }, 'the feedback xmin to advance');
          expect(findingsOf(await check(primary, { thresholds: { slotXids: 500 } }), 'standby-feedback')).toEqual([]);
          return report;
        },
      },
    }),
  ],
});
