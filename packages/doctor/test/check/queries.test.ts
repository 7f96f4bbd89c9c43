import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { Cluster } from '@mvcc-doctor/lab';
import { expect, it } from 'vitest';
import queries from '../../src/checks/queries.js';
import type { StatementRow, StatementsRead } from '../../src/collect/statements-dataset.js';
import { suite, testCheck } from './check-tester.js';
import { snapshot } from './row-fixtures.js';
import { check, findingsOf } from './run-check.js';

/** Debian's postgresql-15 ships pgbench (.ci/run installs it); it drives any server version. */
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const SLOW = "SELECT pg_sleep(1.2) /*app='shop',origin='src%2Freport.ts%3A7',route='GET%20%2Freport'*/";

function statement(query: string, fields: Partial<StatementRow> = {}): StatementRow {
  return { database: 'app', user: 'app', query, calls: 100, total_ms: 500, mean_ms: 5, rows: 100, shared_blks_hit: 1000, shared_blks_read: 10, temp_blks_read: 0, temp_blks_written: 0, ...fields };
}

function read(statements: StatementRow[], fields: Partial<StatementsRead> = {}): StatementsRead[] {
  return [{ schema: 'public', version: '1.11', preload: 'pg_stat_statements', statements, total_ms: statements.reduce((sum, s) => sum + s.total_ms, 0), total_calls: 1000, entries: 40, ...fields }];
}

testCheck(queries, {
  evaluate: {
    faulty: [
      {
        name: 'a recurring slow statement: a warning, with the code its comment names',
        snapshot: snapshot({
          statements: {
            app: read([
              statement("SELECT * FROM orders WHERE customer = $1 /*app='shop',origin='src%2Forders.ts%3A88'*/", { calls: 40, mean_ms: 2500, total_ms: 100_000 }),
              statement('SELECT 1'),
            ]),
          },
        }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'app' },
            summary: 'A statement in "app" takes 2.5 s on average over 40 calls (1m 40s in total), sent from src/orders.ts:88: SELECT * FROM orders WHERE customer = $1',
            origin: { app: 'shop', origin: 'src/orders.ts:88' },
            evidence: [expect.objectContaining({ calls: 40, mean_ms: 2500, share_of_time: '100%', code: 'src/orders.ts:88, app shop' })],
            remediation: ['EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM orders WHERE customer = $1;  -- with real values for $1, $2 …, in "app"'],
          },
        ],
      },
      {
        name: 'past queryTotalSeconds: the busiest statements, with their share, blocks and marginalia code',
        thresholds: { queryTotalSeconds: 1 },
        snapshot: snapshot({
          statements: {
            app: read([
              statement('UPDATE accounts SET balance = balance + $1 WHERE id = $2 /*application:Bank,controller:transfers,action:create*/', { total_ms: 3000, temp_blks_written: 0 }),
              statement('SELECT * FROM big ORDER BY x', { total_ms: 1000, temp_blks_written: 5000 }),
            ]),
          },
        }),
        findings: [
          {
            severity: 'info',
            summary: 'The busiest statement took 75% of the 4.0 s of execution pg_stat_statements recorded (40 statements, 1,000 calls): UPDATE accounts SET balance = balance + $1 WHERE id = $2',
            origin: { app: 'Bank', route: 'transfers#create' },
            evidence: [expect.objectContaining({ share_of_time: '75%', code: 'app Bank, route transfers#create' }), expect.objectContaining({ share_of_time: '25%', temp_blks_written: 5000 })],
          },
        ],
      },
      {
        name: 'a one-off slow statement: info; the same statistics in two databases are read once',
        snapshot: snapshot({ statements: { app: read([statement('SELECT pg_sleep($1)', { calls: 1, mean_ms: 3000, total_ms: 3000 })]), shop: read([statement('SELECT pg_sleep($1)', { calls: 1, mean_ms: 3000, total_ms: 3000 })]) } }),
        findings: [{ severity: 'info', summary: expect.stringMatching(/^A statement in "app" takes 3\.0 s on average over 1 call/) }],
      },
    ],
    healthy: [
      { name: 'fast statements, little time recorded', snapshot: snapshot({ statements: { app: read([statement('SELECT 1'), statement('SELECT 2', { mean_ms: 999 })]) } }) },
      { name: 'not created anywhere (skip says why; evaluate has nothing)', snapshot: snapshot({ statements: { app: read([], { schema: null, version: null }) } }) },
    ],
  },
  cluster: [18, 14].map((major) =>
    suite({
      name: `PostgreSQL ${major} with pg_stat_statements loaded, and pgbench`,
      skip: !existsSync(PGBENCH) && `no ${PGBENCH} (apt-get install postgresql-15)`,
      start: () => Cluster.create({ major, label: `queries${major}`, pgStatStatements: true }),
      healthy: {
        'loaded but not created: skipped, saying what to run': async (cluster) => {
          const report = await check(cluster);
          expect(report.skipped).toContainEqual({ what: 'queries', reason: 'pg_stat_statements is loaded but created in no database examined: CREATE EXTENSION pg_stat_statements (in any one database)' });
          return report;
        },
        'created, light traffic: read (not skipped) and silent': async (cluster) => {
          await cluster.sql('CREATE EXTENSION pg_stat_statements');
          for (let i = 0; i < 20; i++) await cluster.sql('SELECT count(*) FROM pg_class WHERE relpages > $1', [i]);
          const report = await check(cluster);
          expect(report.skipped.filter((s) => s.what === 'queries')).toEqual([]);
          // Not silent for want of data: with the thresholds at 0 the same statements show, and none of ours.
          const all = findingsOf(await check(cluster, { thresholds: { queryTotalSeconds: 0 } }), 'queries');
          const listed = all.flatMap((f) => f.evidence.map((row) => String(row.query)));
          expect(listed.some((q) => q.includes('FROM pg_class WHERE relpages >'))).toBe(true);
          expect(listed.filter((q) => q.includes('mvcc-doctor'))).toEqual([]);
          return report;
        },
      },
      faulty: {
        'pgbench and one slow statement: the slow one tops the mean time, with its code; pgbench the total': async (cluster) => {
          const env = { PATH: process.env.PATH ?? '', PGHOST: cluster.host, PGPORT: String(cluster.port), PGUSER: cluster.user, PGDATABASE: 'postgres' };
          await promisify(execFile)(PGBENCH, ['-i', '-s', '1', '-q'], { env });
          await promisify(execFile)(PGBENCH, ['-c', '2', '-t', '300', '-n'], { env });
          await cluster.sql(SLOW);
          const report = await check(cluster, { thresholds: { queryTotalSeconds: 0 } });
          const found = findingsOf(report, 'queries');
          const slow = found.filter((f) => f.summary.startsWith('A statement'));
          expect(slow[0]).toMatchObject({
            severity: 'info',
            subject: { database: 'postgres' },
            origin: { app: 'shop', origin: 'src/report.ts:7', route: 'GET /report' },
            evidence: [expect.objectContaining({ calls: 1, database: 'postgres', user: 'postgres', code: 'src/report.ts:7, app shop, route GET /report' })],
          });
          expect(slow[0]!.summary).toMatch(/^A statement in "postgres" takes 1\.\d s on average over 1 call .*, sent from src\/report\.ts:7: SELECT pg_sleep\(\$1\)$/);
          const busiest = found.find((f) => f.summary.startsWith('The busiest statement'))!;
          const top = busiest.evidence.map((row) => String(row.query));
          // pgbench's TPC-B-like transaction: its five statements are among the busiest, with their 600 calls each.
          expect(top.filter((q) => /pgbench_(accounts|tellers|branches|history)/.test(q)).length).toBeGreaterThanOrEqual(4);
          expect(busiest.evidence.find((row) => String(row.query).startsWith('UPDATE pgbench_accounts'))).toMatchObject({ calls: 600, rows: 600 });
          return report;
        },
      },
    }),
  ),
});

it('skip: why the check says nothing, from what the databases show', () => {
  const probe = (fields: Partial<StatementsRead>): StatementsRead[] => read([], { schema: null, version: null, ...fields });
  expect(queries.skip!(snapshot({ statements: { app: probe({ preload: '' }) } }))).toBe(
    'pg_stat_statements is not loaded: add it to shared_preload_libraries (a restart), then CREATE EXTENSION pg_stat_statements',
  );
  expect(queries.skip!(snapshot({ statements: { app: probe({ preload: 'auto_explain, pg_stat_statements' }) } }))).toMatch(/created in no database examined/);
  expect(queries.skip!(snapshot({ statements: { app: probe({ schema: 'public', version: '1.10', error: 'permission denied for function pg_stat_statements' }) } }))).toBe(
    'pg_stat_statements could not be read: permission denied for function pg_stat_statements',
  );
  expect(queries.skip!(snapshot({ statements: { app: probe({ preload: '' }), shop: read([]) } }))).toBeUndefined();
});
