import { waitFor, deadlocks as deadlocksScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import deadlocks from '../../src/checks/deadlocks.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, eachMajor, findingsOf } from './run-check.js';
import { database, snapshot } from './row-fixtures.js';

testCheck(deadlocks, {
  evaluate: {
    faulty: [
      {
        name: 'one deadlock: info, for that database only',
        snapshot: snapshot({ databases: [database('app'), database('shop', { deadlocks: 1, xact_commit: 500, xact_rollback: 3 })] }),
        findings: [
          {
            severity: 'info',
            subject: { database: 'shop' },
            summary: 'Database "shop" has had 1 deadlock(s) since its statistics were reset.',
            evidence: [{ database: 'shop', deadlocks: 1, xact_commit: 500, xact_rollback: 3 }],
          },
        ],
      },
      { name: 'a hundred deadlocks: a warning', snapshot: snapshot({ databases: [database('app', { deadlocks: 100 })] }), findings: [{ severity: 'warning', summary: expect.stringContaining('100 deadlock(s)') }] },
    ],
    healthy: [
      { name: 'no deadlocks counted', snapshot: snapshot({ databases: [database('app'), database('shop')] }) },
      // A role that cannot read pg_stat_database gets null counters: unknown is not a deadlock.
      { name: 'the counter unread (null)', snapshot: snapshot({ databases: [database('app', { deadlocks: null })] }) },
    ],
  },
  cluster: eachMajor([18, 14], 'deadlocks').map((s) =>
    suite({
      ...s,
      healthy: {
        'a healthy cluster: no deadlocks finding': (cluster) => check(cluster, { thresholds: { lockWaitSeconds: 0 } }),
      },
      faulty: {
        'counted per database, only where they happened': async (cluster) => {
          const fault = await deadlocksScenario(cluster, { database: 'shop' });
          let proof: Report;
          try {
            // PG 14 sends the counter to the statistics collector when the victim next goes idle: wait for it.
            await waitFor(async () => {
              if (cluster.major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()');
              const { rows } = await cluster.sql<{ n: number }>(`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = 'shop'`);
              return rows[0]!.n >= 1;
            }, 'the deadlock to be counted');
            proof = await check(cluster);
            const findings = findingsOf(proof, 'deadlocks');
            expect(findings).toHaveLength(1);
            expect(findings[0]).toMatchObject({ severity: 'info', subject: { database: 'shop' } });
            expect(findings[0]!.summary).toBe('Database "shop" has had 1 deadlock(s) since its statistics were reset.');
            expect(findings[0]!.evidence[0]).toMatchObject({ database: 'shop', deadlocks: 1 });
          } finally {
            await fault.release();
          }
          return proof;
        },
      },
    }),
  ),
});
