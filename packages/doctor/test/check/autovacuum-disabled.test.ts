import { Cluster, autovacuumDisabled as autovacuumDisabledScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import autovacuumDisabled from '../../src/checks/autovacuum-disabled.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { BAD_SETTINGS, check, findingsOf } from './run-check.js';
import { setting, snapshot, table } from './row-fixtures.js';

testCheck(autovacuumDisabled, {
  evaluate: {
    faulty: [
      {
        name: 'autovacuum off for the cluster: critical, with the setting and its source',
        snapshot: snapshot({ settings: [setting('autovacuum', 'off', 'configuration file'), setting('track_counts', 'on')] }),
        findings: [{ severity: 'critical', subject: { setting: 'autovacuum' }, evidence: [{ setting: 'autovacuum', value: 'off', source: 'configuration file' }], remediation: ['ALTER SYSTEM SET autovacuum = on;', 'SELECT pg_reload_conf();'] }],
      },
      { name: 'track_counts off: critical (autovacuum is blind)', snapshot: snapshot({ settings: [setting('autovacuum', 'on'), setting('track_counts', 'off')] }), findings: [{ severity: 'critical', subject: { setting: 'track_counts' } }] },
      {
        name: 'a table with autovacuum_enabled=off past its trigger: a warning; VACUUM it and RESET the option',
        snapshot: snapshot({ tables: { app: [table('orders', { reloptions: ['autovacuum_enabled=off'], dead_tuples: 5000 })] } }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app', schema: 'public', table: 'orders' },
            summary: 'Autovacuum is disabled on public.orders in "app", which has 5,000 dead tuples, 2.4x its trigger of 2,050.',
            remediation: ['VACUUM (VERBOSE) "public"."orders";', 'ALTER TABLE "public"."orders" RESET (autovacuum_enabled);'],
          },
        ],
      },
      { name: 'a table with autovacuum off, below its trigger: info', snapshot: snapshot({ tables: { app: [table('orders', { reloptions: ['autovacuum_enabled=false'], dead_tuples: 10 })] } }), findings: [{ severity: 'info' }] },
    ],
    healthy: [
      { name: 'autovacuum and track_counts on, no table opted out', snapshot: snapshot({ settings: [setting('autovacuum', 'on'), setting('track_counts', 'on')], tables: { app: [table('orders', { reloptions: ['fillfactor=90'], dead_tuples: 5000 })] } }) },
    ],
  },
  cluster: [
    suite({
      // One worker and a short naptime, as autovacuum-lag runs: a table past its trigger would lag within
      // seconds, so "not autovacuum-lag" below is not merely too early to tell.
      name: 'PostgreSQL 18, autovacuum with one worker and a 1 s naptime',
      start: () => Cluster.create({ label: 'avdisabled', autovacuum: { naptime: '1s', max_workers: 1 } }),
      healthy: {
        'a default-settings cluster: no autovacuum-disabled finding': (cluster) => check(cluster),
      },
      faulty: {
        'per table: a table with autovacuum_enabled=off past its trigger is a warning': async (cluster) => {
          const fault = await autovacuumDisabledScenario(cluster, { rows: 10_000, deadFraction: 0.5 });
          let report: Report;
          try {
            const name = fault.table.replace(/^public\."(.*)"$/, '$1');
            report = await check(cluster);
            const [finding, ...more] = findingsOf(report, 'autovacuum-disabled');
            expect(more).toEqual([]);
            expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', schema: 'public', table: name } });
            expect(finding!.evidence[0]).toMatchObject({ reloptions: ['autovacuum_enabled=off'], dead_tuples: fault.deadTuples, trigger: Math.round(fault.threshold) });
            expect(finding!.remediation).toEqual([`VACUUM (VERBOSE) "public"."${name}";`, `ALTER TABLE "public"."${name}" RESET (autovacuum_enabled);`]);
            // Not autovacuum-lag: autovacuum was told to stay away, which is the other check's point.
            expect(findingsOf(await check(cluster), 'autovacuum-lag')).toEqual([]);
          } finally {
            await fault.release();
          }
          return report;
        },
      },
    }),
    suite({
      name: 'PostgreSQL 18 created with bad settings',
      start: () => Cluster.create({ label: 'avdisabled-bad', ...BAD_SETTINGS }),
      faulty: {
        'globally: critical for autovacuum and for track_counts': async (cluster) => {
          const report = await check(cluster);
          expect(report.exit_code).toBe(2);
          const disabled = findingsOf(report, 'autovacuum-disabled');
          expect(disabled.map((f) => [f.severity, f.subject])).toEqual([
            ['critical', { setting: 'autovacuum' }],
            ['critical', { setting: 'track_counts' }],
          ]);
          expect(disabled[0]!.evidence[0]).toEqual({ setting: 'autovacuum', value: 'off', source: 'configuration file' });
          expect(disabled[0]!.remediation).toEqual(['ALTER SYSTEM SET autovacuum = on;', 'SELECT pg_reload_conf();']);
          // With autovacuum off, "lag" would only repeat autovacuum-disabled.
          expect(findingsOf(report, 'autovacuum-lag')).toEqual([]);
          return report;
        },
      },
    }),
  ],
});
