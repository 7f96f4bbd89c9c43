import { Cluster, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import autovacuumLag from '../../src/checks/autovacuum-lag.js';
import { suite, testCheck } from './check-tester.js';
import { check, findingsOf, statsShow } from './run-check.js';
import { server, setting, snapshot, table, vacuumProgress } from './row-fixtures.js';

const at = server().at;
/** 10,000 rows: trigger 50 + 0.2 x 10,000 = 2,050 dead tuples; autovacuum last came an hour ago. */
const behind = (name: string, dead: number) => table(name, { dead_tuples: dead, last_autovacuum: new Date((at - 3600) * 1000) });

testCheck(autovacuumLag, {
  evaluate: {
    faulty: [
      {
        name: 'more than twice past its trigger, not processed for an hour: a warning, VACUUM it now',
        snapshot: snapshot({ tables: { app: [behind('orders', 5000)] } }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', schema: 'public', table: 'orders' },
            summary: 'public.orders in "app" has 5,000 dead tuples, past its autovacuum trigger of 2,050, and autovacuum has not processed it (last: 1h ago).',
            evidence: [{ dead_tuples: 5000, trigger: 2050, reltuples: 10_000 }],
            remediation: ['VACUUM (VERBOSE) "public"."orders";  -- now, by hand', expect.any(String), expect.any(String)],
          },
        ],
      },
      { name: 'just past its trigger: info', snapshot: snapshot({ tables: { app: [behind('orders', 3000)] } }), findings: [{ severity: 'info' }] },
    ],
    healthy: [
      { name: 'below its trigger', snapshot: snapshot({ tables: { app: [behind('orders', 2000)] } }) },
      { name: 'past its trigger and being vacuumed now', snapshot: snapshot({ tables: { app: [behind('orders', 5000)] }, vacuumProgress: [vacuumProgress(7, 'public.orders')] }) },
      // Within three naptimes autovacuum may simply not have come round yet.
      { name: 'past its trigger, autovacuum last came two minutes ago', snapshot: snapshot({ tables: { app: [table('orders', { dead_tuples: 5000, last_autovacuum: new Date((at - 120) * 1000) })] } }) },
      { name: 'autovacuum off for the cluster (autovacuum-disabled reports that)', snapshot: snapshot({ settings: [setting('autovacuum', 'off')], tables: { app: [behind('orders', 5000)] } }) },
      { name: 'autovacuum off for the table', snapshot: snapshot({ tables: { app: [table('orders', { dead_tuples: 5000, reloptions: ['autovacuum_enabled=off'], last_autovacuum: null })] } }) },
    ],
  },
  cluster: [
    suite({
      // One worker and a short naptime: the worker is soon busy, and a table past its trigger then waits.
      name: 'PostgreSQL 18, autovacuum with one worker, busy',
      start: () => Cluster.create({ label: 'avlag', autovacuum: { naptime: '1s', max_workers: 1 } }),
      healthy: {
        'a default-settings cluster: no autovacuum-lag finding': (cluster) => check(cluster),
      },
      faulty: {
        'while the only worker crawls through a throttled table, a table past its trigger waits; vacuum-running shows the worker': async (cluster) => {
          // The worker's table: cost-limited to a page per 100 ms, so it stays busy for a minute.
          await cluster.sql(`CREATE TABLE slow_t (id int, v text) WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
          await cluster.sql(`INSERT INTO slow_t SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g`);
          await cluster.sql(`DELETE FROM slow_t WHERE id % 2 = 0`);
          await cluster.sql('SELECT pg_stat_force_next_flush()');
          const worker = await waitFor(async () => {
            const { rows } = await cluster.sql<{ pid: number }>(
              `SELECT p.pid FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid)
                WHERE p.relid = 'slow_t'::regclass AND a.backend_type = 'autovacuum worker'`,
            );
            return rows[0];
          }, 'the autovacuum worker to start on slow_t', 30_000);

          // Past its trigger (50 + 0.2 x 10,000 = 2,050) after the worker has taken its list of tables.
          await cluster.sql(`CREATE TABLE lagging_t (id int, v text)`);
          await cluster.sql(`INSERT INTO lagging_t SELECT g, 'x' FROM generate_series(1, 10000) g`);
          await cluster.sql('ANALYZE lagging_t');
          await cluster.sql(`DELETE FROM lagging_t WHERE id <= 5000`);
          await statsShow(cluster, 'lagging_t', { dead: 5000 });
          // A table never vacuumed lags only once autovacuum has had three naptimes since the start to come.
          await waitFor(async () => (await cluster.sql(`SELECT pg_postmaster_start_time() < now() - interval '3 s' AS up`)).rows[0]!.up, 'three naptimes of uptime');
          try {
            const report = await check(cluster);
            const lag = findingsOf(report, 'autovacuum-lag');
            // The one worker is busy, so any other table that passed its trigger meanwhile (a catalog churned by
            // this test's DDL, once seen under load) lags too, and is rightly reported: so no count of all findings.
            // What this case proves is that lagging_t is reported, and slow_t, being vacuumed, is not.
            const lagging = lag.filter((f) => f.subject.schema === 'public' && f.subject.table === 'lagging_t');
            expect(lagging).toHaveLength(1);
            expect(lag.filter((f) => f.subject.table === 'slow_t')).toEqual([]);
            expect(lagging[0]).toMatchObject({ severity: 'warning', subject: { database: 'postgres', schema: 'public', table: 'lagging_t' } });
            expect(lagging[0]!.summary).toBe('public.lagging_t in "postgres" has 5,000 dead tuples, past its autovacuum trigger of 2,050, and autovacuum has not processed it (last: never).');
            expect(lagging[0]!.evidence[0]).toMatchObject({ dead_tuples: 5000, trigger: 2050, reltuples: 10000, last_autovacuum: null });

            const [running, ...more] = findingsOf(report, 'vacuum-running');
            expect(more).toEqual([]);
            expect(running).toMatchObject({ severity: 'info', subject: { database: 'postgres', table: 'public.slow_t', pid: worker.pid } });
            expect(running!.summary).toMatch(/^Autovacuum of public\.slow_t in "postgres" is \d+% through \(scanning heap\)/);
            expect(running!.evidence[0]).toMatchObject({ backend_type: 'autovacuum worker', query: expect.stringMatching(/^autovacuum: VACUUM (ANALYZE )?public\.slow_t$/), wait_event: 'VacuumDelay' });
            return report;
          } finally {
            await cluster.sql('SELECT pg_cancel_backend($1)', [worker.pid]);
            await cluster.sql('DROP TABLE lagging_t, slow_t');
          }
        },
      },
    }),
  ],
});
