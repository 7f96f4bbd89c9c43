import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor, standbyFeedback, startStandby, type Standby } from '@mvcc-doctor/lab';
import { check, findingsOf } from './run-check.js';

describe('standby-feedback, and check on a hot standby (PostgreSQL 15 primary + streaming standby)', () => {
  let primary: Cluster;
  let standby: Standby;
  beforeAll(async () => {
    primary = await Cluster.create({ major: 15, label: 'sbcheck-primary' });
    standby = await startStandby(primary, { applicationName: 'replica-reports' });
  });
  afterAll(async () => {
    await standby?.cluster.destroy();
    await primary?.destroy();
  });

  it('an idle standby with feedback on: standby-feedback stays silent on the primary', async () => {
    const report = await check(primary, { thresholds: { slotXids: 500, horizonXids: 500 } });
    expect(findingsOf(report, 'standby-feedback')).toEqual([]);
    expect(findingsOf(report, 'xmin-horizon')).toEqual([]);
  });

  it("a standby query holding the primary's horizon: standby-feedback names the standby, xmin-horizon too", async () => {
    const fault = await standbyFeedback(standby, { xids: 1000, deadRows: 200 });
    try {
      // Production threshold: 1M XIDs behind. A thousand is not yet worth a finding.
      expect(findingsOf(await check(primary), 'standby-feedback')).toEqual([]);

      const report = await check(primary, { thresholds: { slotXids: 500, horizonXids: 500 } });
      const [finding, ...more] = findingsOf(report, 'standby-feedback');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { standby: 'replica-reports' } });
      expect(finding!.summary).toMatch(/^Standby "replica-reports" \(127\.0\.0\.1\) holds the primary's horizon 1,\d{3} XIDs back through hot_standby_feedback\.$/);
      expect(finding!.evidence[0]).toMatchObject({ application_name: 'replica-reports', client_addr: '127.0.0.1', state: 'streaming', backend_xmin: fault.feedbackXmin });
      expect(finding!.remediation[0]).toMatch(/^-- on the standby: find and end its oldest query/);

      const [horizon] = findingsOf(report, 'xmin-horizon');
      expect(horizon).toMatchObject({ severity: 'warning', subject: { standby: 'replica-reports' } });
      expect(horizon!.evidence[0]).toMatchObject({ holder: 'standby "replica-reports" through hot_standby_feedback', xmin: fault.feedbackXmin, reach: 'cluster' });
    } finally {
      await fault.release();
    }
    await waitFor(async () => {
      const { rows } = await primary.sql<{ age: number | null }>(`SELECT age(backend_xmin) AS age FROM pg_stat_replication WHERE application_name = 'replica-reports'`);
      return rows[0] && (rows[0].age === null || rows[0].age < 100);
    }, 'the feedback xmin to advance');
    expect(findingsOf(await check(primary, { thresholds: { slotXids: 500 } }), 'standby-feedback')).toEqual([]);
  });

  it('check connected to the standby works: in_recovery, nothing skipped, and it sees the standby session that pins', async () => {
    const fault = await standbyFeedback(standby, { xids: 10, deadRows: 10 });
    try {
      // With a sample too: the XID rate comes from snapshots, which a standby serves.
      const report = await check(standby.cluster, { thresholds: { idleInTransactionSeconds: 0 }, sampleMs: 300 });
      expect(report.server).toMatchObject({ in_recovery: true, version_num: expect.any(Number) });
      expect(report.xid_rate).toMatchObject({ xidsPerSecond: expect.any(Number) });
      expect(report.skipped).toEqual([]);
      expect(report.databases_examined).toEqual(['postgres', 'template1']);
      expect(findingsOf(report, 'idle-in-transaction')).toMatchObject([{ subject: { database: 'postgres', pid: fault.standbyPid } }]);
      // A standby has no walsenders of its own: nothing to report there.
      expect(findingsOf(report, 'standby-feedback')).toEqual([]);
    } finally {
      await fault.release();
    }
  });
});
