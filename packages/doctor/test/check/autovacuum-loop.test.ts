import { Cluster, preparedTransaction, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import autovacuumLoop from '../../src/checks/autovacuum-loop.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { burnXids, FREEZE_MAX_AGE, XIDS } from './horizon-alone.js';
import { check, checkAtZero, findingsOf } from './run-check.js';
import { database, prepared, server, session, setting, snapshot, table } from './row-fixtures.js';

const at = server().at;
const secondsAgo = (s: number) => new Date((at - s) * 1000);
/** autovacuum_naptime 1s and autovacuum_freeze_max_age at its minimum, as the real case runs. */
const fast = [setting('autovacuum_naptime', '1'), setting('autovacuum_freeze_max_age', '100000')];
/** A table anti-wraparound autovacuum just left as old as it found it, after 40 runs. */
const circling = table('orders', { xid_age: 150_000, last_autovacuum: secondsAgo(2), autovacuum_count: 40 });
const inDoubt = prepared('pay-1', { xid_age: 150_000, seconds: 120 });
/** A table with dead tuples far past its trigger, autovacuumed 30 s ago, and a session that has held for ten minutes. */
const bloated = table('events', { reltuples: 1000, dead_tuples: 5000, last_autovacuum: secondsAgo(30), autovacuum_count: 12 });
const idle = session(7, { state: 'idle in transaction', backend_xmin: '900', xmin_age: 5000, xact_seconds: 600, state_seconds: 600 });

/** autovacuum_count of a table, as the server's statistics show it now. */
async function autovacuumCount(cluster: Cluster, table: string): Promise<number> {
  if (cluster.major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()');
  const { rows } = await cluster.sql<{ n: string | null }>('SELECT autovacuum_count AS n FROM pg_stat_all_tables WHERE relid = $1::regclass', [table]);
  return Number(rows[0]?.n ?? 0);
}

testCheck(autovacuumLoop, {
  evaluate: {
    faulty: [
      {
        name: 'anti-wraparound autovacuum just ran and left relfrozenxid past the limit: the table and the prepared transaction, with its release',
        snapshot: snapshot({ settings: fast, databases: [database('app', { xid_age: 150_000 })], tables: { app: [circling] }, prepared: [inDoubt] }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', schema: 'public', table: 'orders' },
            summary:
              `Autovacuum keeps coming back to public.orders in "app" without progress (relfrozenxid still 150,000 XIDs old after 40 autovacuum run(s), the last 2s ago): ` +
              `prepared transaction 'pay-1' in database "app" holds the horizon it needs.`,
            evidence: [
              { table: 'public.orders', stuck_on: 'relfrozenxid', xid_age: 150_000, autovacuum_count: 40, held_by: [`prepared transaction 'pay-1' in database "app"`] },
              { holder: `prepared transaction 'pay-1' in database "app"`, kind: 'prepared-transaction', xids_behind: 150_000, caps: 'every relation' },
            ],
            remediation: [`-- prepared transaction 'pay-1' in database "app":`, `\\connect "app"\nROLLBACK PREPARED 'pay-1';  -- only once its transaction manager has given it up`, expect.stringContaining('then let autovacuum come back')],
          },
        ],
      },
      {
        name: 'dead tuples past the trigger after an autovacuum that a ten-minute session was already holding back',
        snapshot: snapshot({ tables: { app: [bloated] }, activity: [idle] }),
        findings: [{ severity: 'warning', subject: { table: 'events' }, summary: expect.stringContaining('(5,000 dead tuples still there after 12 autovacuum run(s), the last 30s ago): session pid 7') }],
      },
      {
        name: 'catalogs too, and a session of another database caps the shared ones: the application tables come first',
        snapshot: snapshot({
          settings: fast,
          tables: { app: [table('pg_database', { schema: 'pg_catalog', shared: true, xid_age: 150_000, last_autovacuum: secondsAgo(1), autovacuum_count: 90 }), circling] },
          prepared: [inDoubt],
          activity: [session(8, { datname: 'shop', state: 'idle in transaction', backend_xid: '880', xid_age: 150_100, xact_seconds: 300 })],
        }),
        findings: [{ subject: { table: 'orders' }, summary: expect.stringContaining('and 1 other table(s)') }],
        verify: ([finding]) => {
          expect(finding!.evidence[1]).toMatchObject({ table: 'pg_catalog.pg_database', held_by: [expect.stringContaining('pid 8'), expect.stringContaining('pay-1')] });
          // The session is the safer release, the prepared transaction the riskier: that order.
          expect(finding!.remediation[0]).toContain('session pid 8');
        },
      },
      {
        name: 'a table past vacuum_failsafe_age going round: critical',
        snapshot: snapshot({ settings: fast, tables: { app: [{ ...circling, xid_age: 1_700_000_000 }] }, prepared: [{ ...inDoubt, xid_age: 1_700_000_000 }] }),
        findings: [{ severity: 'critical' }],
      },
    ],
    healthy: [
      { name: 'no holder: the next autovacuum freezes it', snapshot: snapshot({ settings: fast, tables: { app: [circling] } }) },
      { name: 'the last autovacuum was long ago (autovacuum-lag and xid-wraparound speak to that)', snapshot: snapshot({ settings: fast, tables: { app: [{ ...circling, last_autovacuum: secondsAgo(3600) }] }, prepared: [inDoubt] }) },
      { name: 'a holder younger than the limit does not keep relfrozenxid past it', snapshot: snapshot({ settings: fast, tables: { app: [circling] }, prepared: [{ ...inDoubt, xid_age: 50_000 }] }) },
      { name: 'a session of another database does not cap its user tables', snapshot: snapshot({ settings: fast, tables: { app: [circling] }, activity: [session(8, { datname: 'shop', backend_xid: '880', xid_age: 150_100, xact_seconds: 300 })] }) },
      { name: 'the holder started after that autovacuum: the next one will tell', snapshot: snapshot({ tables: { app: [bloated] }, activity: [{ ...idle, xact_seconds: 10 }] }) },
      { name: 'dead tuples under the trigger', snapshot: snapshot({ tables: { app: [{ ...bloated, dead_tuples: 100 }] }, activity: [idle] }) },
    ],
  },
  cluster: [18, 14].map((major) =>
    suite({
      name: `PostgreSQL ${major}, autovacuum_naptime 1s, autovacuum_freeze_max_age ${FREEZE_MAX_AGE}`,
      start: () => Cluster.create({ major, label: `avloop${major}`, autovacuum: { naptime: '1s', freeze_max_age: FREEZE_MAX_AGE } }),
      healthy: { 'autovacuum at work on a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        [`a prepared transaction holds while ${XIDS} XIDs go by: anti-wraparound autovacuum repeats on its tables, and check names the table and the transaction`]: async (cluster) => {
          const fault = await preparedTransaction(cluster);
          let proof: Report;
          try {
            await burnXids(cluster, XIDS);
            // The server's own account of the circles: the count rises, the age stays past the limit.
            await waitFor(async () => (await autovacuumCount(cluster, fault.table)) >= 2, `autovacuum to process ${fault.table} twice`, 60_000);
            const first = await autovacuumCount(cluster, fault.table);
            await waitFor(async () => (await autovacuumCount(cluster, fault.table)) > first, `autovacuum to come back to ${fault.table}`, 60_000);
            proof = await check(cluster);
            const [finding] = findingsOf(proof, 'autovacuum-loop').filter((f) => f.subject.database === 'postgres');
            expect(finding).toMatchObject({ severity: 'warning' });
            expect(finding!.summary).toContain(`prepared transaction '${fault.gid}' in database "postgres" holds the horizon it needs`);
            const row = finding!.evidence.find((e) => e.table === fault.table);
            expect(row).toMatchObject({ stuck_on: 'relfrozenxid', held_by: [`prepared transaction '${fault.gid}' in database "postgres"`] });
            expect(row!.xid_age as number).toBeGreaterThan(FREEZE_MAX_AGE);
            expect(row!.autovacuum_count as number).toBeGreaterThan(first);
            expect(finding!.remediation.join('\n')).toContain(`ROLLBACK PREPARED '${fault.gid}';`);
          } finally {
            await fault.release();
          }
          // Released, the next autovacuum freezes: the database gets under the limit and the finding is gone.
          await waitFor(async () => {
            const { rows } = await cluster.sql<{ age: number }>(`SELECT age(datfrozenxid)::int AS age FROM pg_database WHERE datname = 'postgres'`);
            return rows[0]!.age < FREEZE_MAX_AGE;
          }, 'autovacuum to freeze "postgres" once the holder is gone', 60_000);
          expect(findingsOf(await check(cluster), 'autovacuum-loop').filter((f) => f.subject.database === 'postgres')).toEqual([]);
          return proof;
        },
      },
    }),
  ),
});
