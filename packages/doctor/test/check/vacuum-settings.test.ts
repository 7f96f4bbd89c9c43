import { Cluster, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import vacuumSettings from '../../src/checks/vacuum-settings.js';
import { suite, testCheck } from './check-tester.js';
import { BAD_SETTINGS, check, findingsOf } from './run-check.js';
import { setting, snapshot, table } from './row-fixtures.js';

/** ALTER SYSTEM a setting (RESET it with null) and reload, until a new session sees `expected`. */
async function alterSystem(cluster: Cluster, name: string, value: string | null, expected: string): Promise<void> {
  await cluster.sql(value === null ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = '${value}'`);
  await cluster.sql('SELECT pg_reload_conf()');
  // The postmaster reloads before it signals its children: a backend that sees the value means new ones will.
  await waitFor(async () => (await cluster.sql<{ setting: string }>('SELECT setting FROM pg_settings WHERE name = $1', [name])).rows[0]!.setting === expected, `${name} = ${expected}`);
}

testCheck(vacuumSettings, {
  evaluate: {
    faulty: [
      {
        name: 'autovacuum_freeze_max_age above 1 billion: a warning, with the value and its source',
        snapshot: snapshot({ settings: [setting('autovacuum_freeze_max_age', '1500000000', 'configuration file')] }),
        findings: [{ severity: 'warning', subject: { setting: 'autovacuum_freeze_max_age' }, evidence: [{ value: '1500000000', source: 'configuration file' }] }],
      },
      { name: 'autovacuum_vacuum_cost_delay of 50 ms: a warning', snapshot: snapshot({ settings: [setting('autovacuum_vacuum_cost_delay', '50')] }), findings: [{ severity: 'warning', subject: { setting: 'autovacuum_vacuum_cost_delay' } }] },
      { name: 'vacuum_failsafe_age below the freeze age: info', snapshot: snapshot({ settings: [setting('vacuum_failsafe_age', '100000000')] }), findings: [{ severity: 'info', subject: { setting: 'vacuum_failsafe_age' } }] },
      { name: 'three workers for 20,000 tables: info', snapshot: snapshot({ settings: [setting('autovacuum_max_workers', '3')], tables: { app: [table('t', { total_tables: 20_000 })] } }), findings: [{ severity: 'info', subject: { setting: 'autovacuum_max_workers' } }] },
      {
        name: 'prepared transactions on and idle transactions never time out: info',
        snapshot: snapshot({ settings: [setting('max_prepared_transactions', '10'), setting('idle_in_transaction_session_timeout', '0')] }),
        findings: [{ severity: 'info', subject: { setting: 'idle_in_transaction_session_timeout' } }],
      },
    ],
    healthy: [
      {
        name: 'the defaults, with an idle-in-transaction timeout',
        snapshot: snapshot({
          settings: [
            setting('autovacuum_freeze_max_age', '200000000'),
            setting('vacuum_failsafe_age', '1600000000'),
            setting('autovacuum_vacuum_cost_delay', '2'),
            setting('autovacuum_max_workers', '3'),
            setting('max_prepared_transactions', '10'),
            setting('idle_in_transaction_session_timeout', '600000'),
          ],
          tables: { app: [table('t', { total_tables: 200 })] },
        }),
      },
      { name: 'no prepared transactions, so no timeout needed', snapshot: snapshot({ settings: [setting('max_prepared_transactions', '0'), setting('idle_in_transaction_session_timeout', '0')] }) },
    ],
  },
  cluster: [
    suite({
      name: 'PostgreSQL 18 with the lab defaults',
      start: () => Cluster.create({ label: 'vacsettings' }),
      healthy: {
        // The one thing the lab defaults lack, fixed as the finding says: then there is nothing to say.
        'with idle_in_transaction_session_timeout set (ALTER SYSTEM, reload): no vacuum-settings finding': async (cluster) => {
          await alterSystem(cluster, 'idle_in_transaction_session_timeout', '10min', '600000');
          try {
            return await check(cluster);
          } finally {
            await alterSystem(cluster, 'idle_in_transaction_session_timeout', null, '0');
          }
        },
      },
      faulty: {
        'the lab defaults: nothing above info; the server\'s own idle_in_transaction_session_timeout, not the session\'s': async (cluster) => {
          const report = await check(cluster);
          expect(findingsOf(report, 'vacuum-settings').filter((f) => f.severity !== 'info')).toEqual([]);
          // The server's own setting, not our session's: prepared transactions on and idle transactions never time out.
          expect(findingsOf(report, 'vacuum-settings').map((f) => f.subject.setting)).toContain('idle_in_transaction_session_timeout');
          return report;
        },
      },
    }),
    suite({
      name: 'PostgreSQL 18 created with bad settings',
      start: () => Cluster.create({ label: 'vacsettings-bad', ...BAD_SETTINGS }),
      faulty: {
        'names each bad setting, with its value and source': async (cluster) => {
          const report = await check(cluster);
          const settings = findingsOf(report, 'vacuum-settings');
          const bySetting = Object.fromEntries(settings.map((f) => [f.subject.setting, f]));
          expect(bySetting.autovacuum_freeze_max_age).toMatchObject({ severity: 'warning', evidence: [{ value: '1500000000', source: 'configuration file' }] });
          expect(bySetting.vacuum_failsafe_age).toMatchObject({ severity: 'info', evidence: [{ value: '100000000' }] });
          expect(bySetting.autovacuum_vacuum_cost_delay).toMatchObject({ severity: 'warning', evidence: [{ value: '50' }] });
          return report;
        },
      },
    }),
  ],
});
