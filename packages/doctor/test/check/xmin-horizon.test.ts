import { deadButNotRemovable, preparedTransaction } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import xminHorizon from '../../src/checks/xmin-horizon.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf, vacuumCounted } from './run-check.js';
import { server, session, slot, snapshot, table } from './row-fixtures.js';

const at = server().at;
/** An idle-in-transaction session holding a snapshot `xids` back for `seconds`. */
const holder = (pid: number, xids: number, seconds: number) => session(pid, { state: 'idle in transaction', backend_xmin: '900', xmin_age: xids, xact_seconds: seconds, state_seconds: seconds });

testCheck(xminHorizon, {
  evaluate: {
    faulty: [
      {
        name: 'past the XID threshold: a warning naming the oldest holder; release it, then VACUUM',
        snapshot: snapshot({ activity: [holder(7, 20_000_000, 60), holder(8, 1000, 30)] }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', pid: 7 },
            evidence: [{ xmin: '900', xids_behind: 20_000_000, reach: 'database', database: 'app' }, { xids_behind: 1000 }],
            remediation: ['SELECT pg_terminate_backend(7);  -- ends the session; its transaction rolls back', '-- then VACUUM (VERBOSE) the tables listed to remove what it kept'],
          },
        ],
      },
      { name: '100M XIDs behind: critical', snapshot: snapshot({ activity: [holder(7, 100_000_000, 60)] }), findings: [{ severity: 'critical' }] },
      {
        // Young and few XIDs back, but VACUUM ran after it started and could not remove these.
        name: 'below both thresholds, yet shown to keep dead tuples: a warning with the kept table',
        snapshot: snapshot({ activity: [holder(7, 1000, 60)], tables: { app: [table('orders', { dead_tuples: 500, last_vacuum: new Date((at - 10) * 1000) })] } }),
        findings: [{ severity: 'warning', summary: expect.stringContaining('1 table(s) keep dead tuples because of it') }],
        verify: (findings) => expect(findings[0]!.evidence).toContainEqual(expect.objectContaining({ database: 'app', table: 'public.orders', dead_tuples_not_removable: 500 })),
      },
    ],
    healthy: [
      { name: 'a young holder that keeps nothing', snapshot: snapshot({ activity: [holder(7, 1000, 60)] }) },
      // A logical slot's catalog_xmin young: it holds system catalogs only, and not for long.
      { name: 'a young logical slot', snapshot: snapshot({ slots: [slot('cdc', { slot_type: 'logical', catalog_xmin: '900', catalog_xmin_age: 1000 })] }) },
      { name: 'nothing holds the horizon, at thresholds zero', snapshot: snapshot({ activity: [session(7)] }), thresholds: { horizonXids: 0, horizonSeconds: 0 } },
    ],
  },
  cluster: eachMajor([18, 14], 'horizon').map((s) =>
    suite({
      ...s,
      healthy: { 'a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        // Moved from the prepared-transaction case of horizon-checks.test.ts: the same fault, its horizon half.
        'a prepared transaction pins the horizon of "shop": after a VACUUM there, xmin-horizon names it, with the kept table': async (cluster) => {
          const fault = await preparedTransaction(cluster, { database: 'shop', deadRows: 200 });
          let proof: Report;
          try {
            expect(deadButNotRemovable(await vacuumCounted(cluster, fault.table, 200, 'shop'))).toBe(200);
            proof = await check(cluster);
            const [horizon] = findingsOf(proof, 'xmin-horizon');
            expect(horizon).toMatchObject({ severity: 'warning', subject: { database: 'shop', gid: fault.gid } });
            expect(horizon!.evidence).toContainEqual(expect.objectContaining({ database: 'shop', table: fault.table, dead_tuples_not_removable: 200 }));
          } finally {
            await fault.release();
          }
          return proof;
        },
      },
    }),
  ),
});
