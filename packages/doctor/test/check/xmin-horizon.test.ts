import { deadButNotRemovable, idleInTransaction, preparedTransaction, replicationSlot, standbyFeedback, startStandby } from '@mvcc-doctor/lab';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import xminHorizon from '../../src/checks/xmin-horizon.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf, vacuumCounted } from './run-check.js';
import { burnXids, expectFreezableAgain, FREEZE_MAX_AGE, horizonCluster, proveOnlyHolder, XIDS } from './horizon-alone.js';
import { database, server, session, setting, slot, snapshot, table } from './row-fixtures.js';

const at = server().at;
/** An idle-in-transaction session holding a snapshot `xids` back for `seconds`. */
const holder = (pid: number, xids: number, seconds: number) => session(pid, { state: 'idle in transaction', backend_xmin: '900', xmin_age: xids, xact_seconds: seconds, state_seconds: seconds });
/** autovacuum_freeze_max_age at its minimum, 150,000 XIDs consumed: every database past it. */
const pastFreezeMaxAge = (fields: Parameters<typeof snapshot>[0]) =>
  snapshot({ settings: [setting('autovacuum_freeze_max_age', '100000')], databases: [database('app', { xid_age: 150_010 }), database('postgres', { xid_age: 150_010 })], ...fields });
const cdc = slot('cdc', { slot_type: 'logical', plugin: 'test_decoding', database: 'app', active: false, active_pid: null, catalog_xmin: '900', catalog_xmin_age: 150_000 });
const pg15 = existsSync('/usr/lib/postgresql/15/bin/pg_basebackup') ? false : 'PostgreSQL 15 (pg_basebackup) is not installed';

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
      {
        // Far below both thresholds, and catalogs only: yet while it stays no database gets under the limit.
        name: 'a logical slot alone past autovacuum_freeze_max_age: named, with what it caps and its release',
        snapshot: pastFreezeMaxAge({ slots: [cdc] }),
        findings: [
          {
            severity: 'warning',
            subject: { slot: 'cdc' },
            summary:
              'inactive logical replication slot "cdc" (catalog_xmin: system catalogs only) holds the xmin horizon 150,000 XIDs back, past autovacuum_freeze_max_age: it caps the system catalogs of every database, so every database stays past that limit whatever VACUUM freezes.',
            evidence: [{ kind: 'replication-slot', xids_behind: 150_000, reach: 'catalog', caps: 'the system catalogs of every database', catalogs_only: true, past_freeze_max_age: true, release: 'drop-slot' }],
            remediation: ['-- inactive logical replication slot "cdc" (catalog_xmin: system catalogs only):', "SELECT pg_drop_replication_slot('cdc');  -- its consumer must then be set up again", expect.stringContaining('mvcc-doctor freeze plan')],
          },
        ],
      },
      {
        name: 'several holders past the limit: every one in the evidence, released safest first',
        snapshot: pastFreezeMaxAge({
          slots: [cdc],
          activity: Array.from({ length: 8 }, (_, i) => holder(10 + i, 120_000 + i, 60)),
        }),
        findings: [{ subject: { slot: 'cdc' }, summary: expect.stringContaining('with 8 more holders') }],
        verify: ([finding]) => {
          expect(finding!.evidence.filter((e) => 'holder' in e)).toHaveLength(9);
          const steps = finding!.remediation.join('\n');
          expect(steps.indexOf('pg_terminate_backend(17)')).toBeLessThan(steps.indexOf('pg_terminate_backend(10)'));
          expect(steps.indexOf('pg_terminate_backend(10)')).toBeLessThan(steps.indexOf('pg_drop_replication_slot'));
        },
      },
      {
        name: 'a holder keeping a database past vacuum_failsafe_age: critical',
        snapshot: snapshot({ slots: [{ ...cdc, catalog_xmin_age: 1_700_000_000 }], databases: [database('app', { xid_age: 1_700_000_000 })] }),
        findings: [{ severity: 'critical', subject: { slot: 'cdc' } }],
      },
    ],
    healthy: [
      // The same slot under the default autovacuum_freeze_max_age (200M): below it, and below the thresholds.
      { name: 'a logical slot 150,000 XIDs back, under autovacuum_freeze_max_age', snapshot: snapshot({ slots: [cdc], databases: [database('app', { xid_age: 150_010 })] }) },
      { name: 'a young holder that keeps nothing', snapshot: snapshot({ activity: [holder(7, 1000, 60)] }) },
      // A logical slot's catalog_xmin young: it holds system catalogs only, and not for long.
      { name: 'a young logical slot', snapshot: snapshot({ slots: [slot('cdc', { slot_type: 'logical', catalog_xmin: '900', catalog_xmin_age: 1000 })] }) },
      { name: 'nothing holds the horizon, at thresholds zero', snapshot: snapshot({ activity: [session(7)] }), thresholds: { horizonXids: 0, horizonSeconds: 0 } },
    ],
  },
  cluster: [
    suite({
      name: `PostgreSQL 15, autovacuum_freeze_max_age ${FREEZE_MAX_AGE}, ${XIDS} XIDs consumed, VACUUM (FREEZE) of everything: each holder alone`,
      skip: pg15,
      start: () => horizonCluster('horizon-alone'),
      healthy: {
        'nothing holds: the freeze takes every database under the limit, and xmin-horizon is silent': async (cluster) => {
          await burnXids(cluster, XIDS);
          await expectFreezableAgain(cluster);
          return check(cluster);
        },
      },
      faulty: {
        'an idle-in-transaction session in "shop"': async (cluster) => {
          const fault = await idleInTransaction(cluster, { database: 'shop', pin: 'xid' });
          try {
            await burnXids(cluster, XIDS);
            return await proveOnlyHolder(cluster, {
              holder: `session pid ${fault.pid} (idle in transaction, application "lab-idle-in-transaction", user postgres)`,
              subject: { database: 'shop', pid: fault.pid },
              release: `SELECT pg_terminate_backend(${fault.pid});`,
              caps: { postgres: 'the shared catalogs only', shop: 'every relation' },
            });
          } finally {
            await fault.release();
            await expectFreezableAgain(cluster);
          }
        },
        'a prepared transaction in "shop"': async (cluster) => {
          const fault = await preparedTransaction(cluster, { database: 'shop' });
          try {
            await burnXids(cluster, XIDS);
            return await proveOnlyHolder(cluster, {
              holder: `prepared transaction '${fault.gid}' in database "shop"`,
              subject: { database: 'shop', gid: fault.gid },
              release: `ROLLBACK PREPARED '${fault.gid}';`,
              caps: { postgres: 'the shared catalogs only', shop: 'every relation' },
            });
          } finally {
            await fault.release();
            await expectFreezableAgain(cluster);
          }
        },
        'a logical slot of "shop" (catalog_xmin: catalogs only)': async (cluster) => {
          const fault = await replicationSlot(cluster, { database: 'shop', physical: false });
          const name = fault.logical!.name;
          try {
            await burnXids(cluster, XIDS);
            return await proveOnlyHolder(cluster, {
              holder: `inactive logical replication slot "${name}" (catalog_xmin: system catalogs only)`,
              subject: { slot: name },
              release: `SELECT pg_drop_replication_slot('${name}');`,
              caps: { postgres: 'the system catalogs only', shop: 'the system catalogs only' },
            });
          } finally {
            await fault.release();
            await expectFreezableAgain(cluster);
          }
        },
        'a physical slot left by a gone standby (xmin)': async (cluster) => {
          const fault = await replicationSlot(cluster, { logical: false, physical: true });
          const name = fault.physical!.name;
          try {
            await burnXids(cluster, XIDS);
            return await proveOnlyHolder(cluster, {
              holder: `inactive physical replication slot "${name}"`,
              subject: { slot: name },
              release: `SELECT pg_drop_replication_slot('${name}');`,
              caps: { postgres: 'every relation', shop: 'every relation' },
            });
          } finally {
            await fault.release();
            await expectFreezableAgain(cluster);
          }
        },
        'a streaming standby whose query holds a snapshot (hot_standby_feedback)': async (cluster) => {
          const replica = await startStandby(cluster, { applicationName: 'replica-reports' });
          try {
            // The scenario consumes the XIDs on the primary while the standby's snapshot stays.
            const fault = await standbyFeedback(replica, { xids: XIDS, deadRows: 10 });
            try {
              return await proveOnlyHolder(cluster, {
                holder: 'standby "replica-reports" through hot_standby_feedback',
                subject: { standby: 'replica-reports' },
                release: 'set hot_standby_feedback = off on it',
                caps: { postgres: 'every relation', shop: 'every relation' },
              });
            } finally {
              await fault.release();
            }
          } finally {
            await replica.cluster.destroy();
            await expectFreezableAgain(cluster);
          }
        },
      },
    }),
    ...eachMajor([18, 14], 'horizon').map((s) =>
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
  ],
});
