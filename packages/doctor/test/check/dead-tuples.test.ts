import { expect } from 'vitest';
import deadTuples from '../../src/checks/dead-tuples.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf, statsShow } from './run-check.js';
import { server, session, snapshot, table } from './row-fixtures.js';

const at = server().at;

testCheck(deadTuples, {
  evaluate: {
    faulty: [
      {
        name: 'past the threshold with no holder: info, VACUUM can remove them now',
        snapshot: snapshot({ tables: { app: [table('churn', { dead_tuples: 12_000, live_tuples: 30_000 })] } }),
        findings: [
          {
            severity: 'info',
            subject: { database: 'app', schema: 'public', table: 'churn' },
            summary: 'public.churn in "app" has 12,000 dead tuples (29% of its rows); VACUUM can remove them now.',
            evidence: [{ dead_tuples: 12_000, live_tuples: 30_000, held_by: null }],
            remediation: ['VACUUM (VERBOSE) "public"."churn";'],
          },
        ],
      },
      { name: 'half the rows dead: a warning', snapshot: snapshot({ tables: { app: [table('churn', { dead_tuples: 10_000, live_tuples: 10_000 })] } }), findings: [{ severity: 'warning' }] },
      {
        // VACUUM ran after the session took its snapshot and left these: the session keeps them.
        name: 'kept by a session that pins the horizon: a warning naming it, release first',
        snapshot: snapshot({
          activity: [session(7, { state: 'idle in transaction', backend_xmin: '900', xmin_age: 100, xact_seconds: 100 })],
          tables: { app: [table('orders', { dead_tuples: 10_000, live_tuples: 90_000, last_vacuum: new Date((at - 10) * 1000) })] },
        }),
        findings: [{ severity: 'warning', summary: expect.stringContaining('NOT removable while session pid 7'), remediation: ['-- release the holder first (see xmin-horizon), then:', 'VACUUM (VERBOSE) "public"."orders";'] }],
      },
    ],
    healthy: [
      { name: 'below the threshold', snapshot: snapshot({ tables: { app: [table('churn', { dead_tuples: 9_999 })] } }) },
      { name: 'no dead tuples, even at threshold 0', snapshot: snapshot({ tables: { app: [table('churn')] } }), thresholds: { deadTuples: 0 } },
    ],
  },
  cluster: eachMajor([18, 14], 'deadtuples').map((s) =>
    suite({
      ...s,
      healthy: { 'a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        'removable dead tuples (no holder) are reported as removable now, at info': async (cluster) => {
          const table = 'public.churn';
          await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off)`);
          try {
            await cluster.sql(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 3000) g`);
            await cluster.sql(`DELETE FROM ${table} WHERE id <= 1000`);
            await statsShow(cluster, table, { dead: 1000 });
            const report = await check(cluster, { thresholds: { deadTuples: 500 } });
            const [dead] = findingsOf(report, 'dead-tuples').filter((f) => f.subject.table === 'churn');
            expect(dead).toMatchObject({ severity: 'info', subject: { database: 'postgres', schema: 'public', table: 'churn' } });
            expect(dead!.summary).toContain('VACUUM can remove them now');
            expect(dead!.evidence[0]).toMatchObject({ dead_tuples: 1000, live_tuples: 2000, held_by: null });
            expect(dead!.remediation).toEqual(['VACUUM (VERBOSE) "public"."churn";']);
            return report;
          } finally {
            await cluster.sql(`DROP TABLE ${table}`);
          }
        },
      },
    }),
  ),
});
