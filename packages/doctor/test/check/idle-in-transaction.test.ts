import { type Cluster, deadButNotRemovable, idleInTransaction as idleInTransactionScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import idleInTransaction from '../../src/checks/idle-in-transaction.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { ALL_ZERO, check, eachMajor, findingsOf, vacuumCounted } from './run-check.js';
import { lock, session, snapshot } from './row-fixtures.js';

/** The idle-in-transaction fault pinning by XID or by snapshot: silent while young, found at threshold 0, and by evidence. */
function pinning(pin: 'xid' | 'snapshot') {
  return async (cluster: Cluster): Promise<Report> => {
    const fault = await idleInTransactionScenario(cluster, { pin, deadRows: 500, applicationName: 'shop-api' });
    let proof: Report;
      try {
        // Seconds old: silent at the production threshold (60 s) as long as nothing shows it keeps dead tuples.
        expect(findingsOf(await check(cluster), 'idle-in-transaction')).toEqual([]);

        const [finding, ...more] = findingsOf(await check(cluster, { thresholds: { idleInTransactionSeconds: 0 } }), 'idle-in-transaction');
        expect(more).toEqual([]);
        // Threshold 0 widens "warning" only: critical needs ten minutes whatever the threshold.
        expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', pid: fault.pid } });
        expect(finding!.summary).toContain(pin === 'xid' ? `holds XID ${fault.xmin}` : `holds a snapshot at xmin ${fault.xmin}`);
        expect(finding!.evidence[0]).toMatchObject({
          pid: fault.pid,
          state: 'idle in transaction',
          database: 'postgres',
          user: 'postgres',
          application_name: 'shop-api',
          client_addr: '127.0.0.1',
          backend_xid: pin === 'xid' ? fault.xmin : null,
          backend_xmin: pin === 'snapshot' ? fault.xmin : null,
          last_query: 'SELECT pg_backend_pid() AS pid',
        });
        expect(finding!.remediation[0]).toBe(`SELECT pg_terminate_backend(${fault.pid});  -- ends the session; its transaction rolls back`);

        // Evidence-based: once VACUUM has proven it keeps dead tuples, the default thresholds fire too.
        expect(deadButNotRemovable(await vacuumCounted(cluster, fault.table, 500))).toBe(500);
        const report = await check(cluster);
        proof = report;
        const table = fault.table;
        expect(findingsOf(report, 'idle-in-transaction')).toMatchObject([{ severity: 'warning', subject: { database: 'postgres', pid: fault.pid } }]);
        expect(findingsOf(report, 'idle-in-transaction')[0]!.evidence).toContainEqual(expect.objectContaining({ database: 'postgres', table, dead_tuples_not_removable: 500 }));
        const [horizon] = findingsOf(report, 'xmin-horizon');
        expect(horizon).toMatchObject({ severity: 'warning', subject: { database: 'postgres', pid: fault.pid } });
        expect(horizon!.evidence[0]).toMatchObject({ xmin: fault.xmin, reach: 'database', database: 'postgres' });
        expect(horizon!.evidence).toContainEqual(expect.objectContaining({ table, dead_tuples_not_removable: 500 }));
        expect(horizon!.remediation[0]).toContain(`pg_terminate_backend(${fault.pid})`);

        // dead-tuples: below the production count threshold it stays quiet; lowered, it says they are held.
        expect(findingsOf(report, 'dead-tuples')).toEqual([]);
        const [dead] = findingsOf(await check(cluster, { thresholds: { deadTuples: 100 } }), 'dead-tuples');
        expect(dead).toMatchObject({ severity: 'warning', subject: { database: 'postgres', schema: 'public', table: table.slice('public.'.length) } });
        expect(dead!.summary).toContain(`NOT removable while session pid ${fault.pid}`);
        expect(dead!.evidence[0]).toMatchObject({ dead_tuples: 500, held_by: expect.stringContaining(`pid ${fault.pid}`) });
      } finally {
        await fault.release();
      }
    return proof!;
  };
}

/** A leaked read-only transaction (READ COMMITTED: no snapshot kept): silent while young, found at threshold 0 by its lock. */
async function lockHolding(cluster: Cluster): Promise<Report> {
  const fault = await idleInTransactionScenario(cluster, { pin: 'none', holdLock: true, deadRows: 10, applicationName: 'orders@src/report.ts:12' });
  try {
    expect(findingsOf(await check(cluster), 'idle-in-transaction')).toEqual([]);
    const report = await check(cluster, { thresholds: { idleInTransactionSeconds: 0 } });
    const [finding, ...more] = findingsOf(report, 'idle-in-transaction');
    expect(more).toEqual([]);
    const relation = fault.table; // the doctor's search_path is pg_catalog only: relations come schema-qualified
    expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', pid: fault.pid }, origin: { app: 'orders', origin: 'src/report.ts:12' } });
    expect(finding!.summary).toContain(`holding AccessShareLock on ${relation}: ALTER TABLE, DROP TABLE, TRUNCATE, VACUUM FULL`);
    expect(finding!.summary).toContain('It does not pin the horizon.');
    expect(finding!.evidence[0]).toMatchObject({ pid: fault.pid, backend_xid: null, backend_xmin: null });
    // The table first, then its primary key's index, which the count may have read too.
    expect((finding!.evidence[0]!.holds as unknown[])[0]).toMatchObject({ relation, mode: 'AccessShareLock', relkind: 'r' });
    expect(findingsOf(report, 'xmin-horizon').filter((f) => f.subject.pid === fault.pid)).toEqual([]);
    return report;
  } finally {
    await fault.release();
  }
}

testCheck(idleInTransaction, {
  evaluate: {
    faulty: [
      {
        name: 'idle past the threshold with an XID: a warning naming the pid',
        snapshot: snapshot({ activity: [session(7, { state: 'idle in transaction', backend_xid: '900', xid_age: 100, state_seconds: 120, xact_seconds: 130 })] }),
        findings: [{ severity: 'warning', subject: { database: 'app', pid: 7 }, remediation: ['SELECT pg_terminate_backend(7);  -- ends the session; its transaction rolls back', expect.stringContaining('idle_in_transaction_session_timeout')] }],
      },
      { name: 'idle an hour with a snapshot: critical', snapshot: snapshot({ activity: [session(8, { state: 'idle in transaction', backend_xmin: '900', xmin_age: 100, state_seconds: 3600, xact_seconds: 3600 })] }), findings: [{ severity: 'critical' }] },
      {
        name: 'a leaked read-only transaction: no XID, no snapshot, but an AccessShareLock: what it holds and what would wait',
        snapshot: snapshot({
          activity: [session(9, { state: 'idle in transaction', application_name: 'orders@src/report.ts:12', state_seconds: 120, xact_seconds: 125, query: "/*app='orders'*/ SELECT count(*) FROM orders" })],
          locks: { app: [lock(9, { relation: 'orders', relkind: 'r' }), lock(9, { relation: 'orders_pkey', relkind: 'i' }), lock(10, { relation: 'other', relkind: 'r' })] },
        }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', pid: 9 },
            summary:
              'Session pid 9 (orders@src/report.ts:12) has been idle in transaction for 2m holding AccessShareLock on orders: ALTER TABLE, DROP TABLE, TRUNCATE, VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW, … would wait for it, and every later query on the table would queue behind that. It does not pin the horizon.',
            origin: { app: 'orders', origin: 'src/report.ts:12' },
            remediation: ['SELECT pg_terminate_backend(9);  -- ends the session; its transaction rolls back and its locks go', expect.stringContaining('idle_in_transaction_session_timeout'), expect.stringContaining('lock_timeout')],
          },
        ],
        verify: ([finding]) => {
          expect(finding!.evidence[0]).toMatchObject({ backend_xid: null, backend_xmin: null, last_query: "/*app='orders'*/ SELECT count(*) FROM orders" });
          expect(finding!.evidence[0]!.holds).toEqual([
            { relation: 'orders', mode: 'AccessShareLock', relkind: 'r', blocks: ['ALTER TABLE', 'DROP TABLE', 'TRUNCATE', 'VACUUM FULL', 'CLUSTER', 'REFRESH MATERIALIZED VIEW', 'LOCK TABLE'] },
            { relation: 'orders_pkey', mode: 'AccessShareLock', relkind: 'i', blocks: ['ALTER TABLE', 'DROP TABLE', 'TRUNCATE', 'VACUUM FULL', 'CLUSTER', 'REFRESH MATERIALIZED VIEW', 'LOCK TABLE'] },
          ]);
        },
      },
      {
        name: 'a lock-holding idle session an hour old is critical; a pinning one lists its locks beside the pin',
        snapshot: snapshot({
          activity: [
            session(11, { state: 'idle in transaction', state_seconds: 3600, xact_seconds: 3600 }),
            session(12, { state: 'idle in transaction', backend_xid: '900', xid_age: 100, state_seconds: 120, xact_seconds: 130 }),
          ],
          locks: { app: [lock(11, { mode: 'RowShareLock', relation: 'accounts', relkind: 'r' }), lock(12, { mode: 'RowExclusiveLock', relation: 'orders', relkind: 'r' })] },
        }),
        findings: [
          { severity: 'warning', subject: { pid: 12 }, summary: expect.stringContaining('holds XID 900') },
          { severity: 'critical', subject: { pid: 11 }, summary: expect.stringContaining('holding RowShareLock on accounts: ALTER TABLE, DROP TABLE') },
        ],
        verify: ([pinning]) => {
          expect(pinning!.evidence[0]!.holds).toEqual([expect.objectContaining({ relation: 'orders', mode: 'RowExclusiveLock', blocks: expect.arrayContaining(['CREATE INDEX', 'ALTER TABLE']) })]);
        },
      },
    ],
    healthy: [
      {
        name: 'idle in transaction an hour without XID, snapshot or relation lock (only another session holds one): it holds nothing',
        snapshot: snapshot({ activity: [session(7, { state: 'idle in transaction', state_seconds: 3600, xact_seconds: 3600 })], locks: { app: [lock(8)] } }),
      },
      {
        name: 'holding a lock but idle for less than the threshold',
        snapshot: snapshot({ activity: [session(7, { state: 'idle in transaction', state_seconds: 10, xact_seconds: 10 })], locks: { app: [lock(7)] } }),
      },
      {
        name: 'an active session holding a lock is not idle in transaction (long-transaction and lock-blocking look at it)',
        snapshot: snapshot({ activity: [session(7, { state: 'active', state_seconds: 3600, xact_seconds: 3600 })], locks: { app: [lock(7)] } }),
      },
      { name: 'pinning but younger than the threshold, keeping nothing', snapshot: snapshot({ activity: [session(7, { state: 'idle in transaction', backend_xid: '900', xid_age: 100, state_seconds: 10 })] }) },
    ],
  },
  cluster: eachMajor([18, 14], 'idle').map((s) =>
    suite({
      ...s,
      healthy: {
        'a healthy cluster, every threshold at zero': (cluster) => check(cluster, { thresholds: ALL_ZERO }),
        'pin none: an idle transaction without xid or snapshot is not reported, even at threshold 0': async (cluster) => {
      const fault = await idleInTransactionScenario(cluster, { pin: 'none', deadRows: 100 });
      let proof: Report;
      try {
        const report = await check(cluster, { thresholds: ALL_ZERO });
      proof = report;
        expect(report.findings.filter((f) => f.subject.pid === fault.pid)).toEqual([]);
        expect(findingsOf(report, 'xmin-horizon')).toEqual([]);
      } finally {
        await fault.release();
      }
          return proof!;
        },
      },
      faulty: {
        'pin xid: fires on the pinning session with its evidence': pinning('xid'),
        'pin snapshot: fires on the pinning session with its evidence': pinning('snapshot'),
        'pin none, but it read a table: fires on its AccessShareLock, not on the horizon': lockHolding,
      },
    }),
  ),
});
