import { deadButNotRemovable, longTransaction as longTransactionScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import longTransaction from '../../src/checks/long-transaction.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf, vacuumCounted } from './run-check.js';
import { session, snapshot } from './row-fixtures.js';

/** An active statement holding a snapshot for `seconds`. */
const running = (pid: number, seconds: number, fields = {}) =>
  session(pid, { state: 'active', backend_xmin: '900', xmin_age: 100, xact_seconds: seconds, query_seconds: seconds, query: 'SELECT * FROM big_report', ...fields });

testCheck(longTransaction, {
  evaluate: {
    faulty: [
      {
        name: 'a statement running past the threshold: a warning; cancel first, then terminate',
        snapshot: snapshot({ activity: [running(7, 400, { application_name: 'nightly-report' })] }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', pid: 7 },
            summary: 'Transaction of pid 7 (nightly-report) is 6m 40s old, running for 6m 40s and holds a snapshot at xmin 900.',
            remediation: ['SELECT pg_cancel_backend(7);  -- cancel the statement first', 'SELECT pg_terminate_backend(7);  -- then end the session if it stays', expect.stringContaining('statement_timeout')],
          },
        ],
      },
      { name: '12x the threshold: critical', snapshot: snapshot({ activity: [running(7, 3600)] }), findings: [{ severity: 'critical' }] },
    ],
    healthy: [
      { name: 'younger than the threshold, keeping nothing', snapshot: snapshot({ activity: [running(7, 60)] }) },
      // Those are idle-in-transaction's and lock-blocking's to report.
      { name: 'idle in transaction for an hour', snapshot: snapshot({ activity: [running(7, 3600, { state: 'idle in transaction' })] }) },
      { name: 'waiting an hour on a lock', snapshot: snapshot({ activity: [running(7, 3600, { blocked_by: [5], wait_event_type: 'Lock' })] }) },
      { name: 'an hour old without XID or snapshot', snapshot: snapshot({ activity: [running(7, 3600, { backend_xmin: null, xmin_age: null })] }) },
    ],
  },
  cluster: eachMajor([18, 14], 'longxact').map((s) =>
    suite({
      ...s,
      healthy: { 'a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        'a running statement pinning the horizon, not reported as idle': async (cluster) => {
          const fault = await longTransactionScenario(cluster, { deadRows: 300, applicationName: 'nightly-report' });
          let proof: Report;
          try {
            const report = await check(cluster, { thresholds: { longTransactionSeconds: 0, idleInTransactionSeconds: 0 } });
            expect(findingsOf(report, 'idle-in-transaction')).toEqual([]);
            const [finding, ...more] = findingsOf(report, 'long-transaction');
            expect(more).toEqual([]);
            expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', pid: fault.pid } });
            expect(finding!.evidence[0]).toMatchObject({ pid: fault.pid, state: 'active', application_name: 'nightly-report', backend_xmin: fault.xmin, last_query: fault.query });
            expect(finding!.remediation[0]).toBe(`SELECT pg_cancel_backend(${fault.pid});  -- cancel the statement first`);

            // Default thresholds: silent while seconds old, a warning once VACUUM shows the kept dead tuples.
            expect(findingsOf(await check(cluster), 'long-transaction')).toEqual([]);
            expect(deadButNotRemovable(await vacuumCounted(cluster, fault.table, 300))).toBe(300);
            proof = await check(cluster);
            expect(findingsOf(proof, 'long-transaction')).toMatchObject([{ severity: 'warning', subject: { pid: fault.pid } }]);
          } finally {
            await fault.release();
          }
          return proof;
        },
      },
    }),
  ),
});
