import { Cluster, waitFor, deadlocks as deadlocksScenario, type DeadlocksFault } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import deadlocks from '../../src/checks/deadlocks.js';
import type { ServerLogRead } from '../../src/collect/server-log.js';
import { SERVER_LOG_PRIVILEGE } from '../../src/collect/server-log-file.js';
import { classifyRecord } from '../../src/logs/classify/classify-record.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, eachMajor, findingsOf, realSkips } from './run-check.js';
import { database, snapshot } from './row-fixtures.js';

/** A deadlock report as the server logs it (deadlock.c), classified by the log library as `check` does it. */
function loggedDeadlock(fields: { database?: string; time?: number } = {}): LogEvent {
  return classifyRecord({
    time: fields.time ?? Date.UTC(2026, 4, 1, 10, 0, 5),
    pid: 4849,
    severity: 'ERROR',
    sqlstate: '40P01',
    message: 'deadlock detected',
    database: fields.database,
    application: 'checkout',
    detail: [
      'Process 4849 waits for ShareLock on transaction 901; blocked by process 4821.',
      '\tProcess 4821 waits for ShareLock on transaction 900; blocked by process 4849.',
      "\tProcess 4849: UPDATE accounts SET balance = balance + 10 WHERE id = 2 /*app='shop',origin='src%2Fpay.ts%3A12'*/",
      '\tProcess 4821: UPDATE accounts SET balance = balance + 20 WHERE id = 1',
    ].join('\n'),
    context: 'while updating tuple (0,2) in relation "accounts"',
    source: { file: '-', line: 1 },
  })!;
}

function serverLog(deadlockEvents: LogEvent[]): ServerLogRead {
  return { file: '/var/lib/postgresql/log/postgresql.csv', format: 'csvlog', bytes_read: 1000, file_bytes: 1000, since: Date.UTC(2026, 4, 1), deadlocks: deadlockEvents, serialization_failures: [] };
}

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
      {
        name: 'the server log read: both processes, the lock each waited for, their queries, the victim and its code',
        snapshot: snapshot({ databases: [database('shop', { deadlocks: 1 })], serverLog: serverLog([loggedDeadlock({ database: 'shop' })]) }),
        findings: [
          {
            severity: 'info',
            summary:
              'Database "shop" has had 1 deadlock(s) since its statistics were reset. The server log shows 1 since 2026-05-01T00:00:00.000Z; the last, at 2026-05-01T10:00:05.000Z, was between process 4849 (UPDATE accounts SET balance = balance + 10 WHERE id = 2) and process 4821 (UPDATE accounts SET balance = balance + 20 WHERE id = 1) on accounts; process 4849 was canceled.',
            evidence: [
              { database: 'shop', deadlocks: 1 },
              { deadlock_at: '2026-05-01T10:00:05.000Z', pid: 4849, canceled: true, waited_for: 'ShareLock on transaction 901', blocked_by: 4821, relation: 'accounts', query: expect.stringContaining('WHERE id = 2'), code: 'src/pay.ts:12, app shop' },
              { pid: 4821, canceled: false, waited_for: 'ShareLock on transaction 900', blocked_by: 4849, query: 'UPDATE accounts SET balance = balance + 20 WHERE id = 1' },
            ],
            origin: { app: 'shop', origin: 'src/pay.ts:12' },
            remediation: [expect.stringContaining('mvcc-doctor logs /var/lib/postgresql/log/postgresql.csv'), expect.stringContaining('retry 40P01')],
          },
        ],
      },
      {
        name: 'a log without %d: its deadlocks belong to the only database that counts any; none since --since is said so',
        snapshot: snapshot({ databases: [database('app'), database('shop', { deadlocks: 2 })], serverLog: serverLog([loggedDeadlock()]) }),
        verify: ([f]) => expect(f!.evidence).toHaveLength(3),
      },
      {
        name: 'the log read, nothing in it since then: said so, not invented',
        snapshot: snapshot({ databases: [database('shop', { deadlocks: 3 })], serverLog: serverLog([]) }),
        findings: [{ summary: expect.stringMatching(/The server log shows none since 2026-05-01T00:00:00\.000Z \(they are older, or in a rotated file\)\.$/), evidence: [{ deadlocks: 3 }] }],
      },
      { name: 'a hundred deadlocks: a warning', snapshot: snapshot({ databases: [database('app', { deadlocks: 100 })] }), findings: [{ severity: 'warning', summary: expect.stringContaining('100 deadlock(s)') }] },
    ],
    healthy: [
      { name: 'no deadlocks counted', snapshot: snapshot({ databases: [database('app'), database('shop')] }) },
      // A role that cannot read pg_stat_database gets null counters: unknown is not a deadlock.
      { name: 'the counter unread (null)', snapshot: snapshot({ databases: [database('app', { deadlocks: null })] }) },
    ],
  },
  cluster: [
    // The logging collector on: PostgreSQL 18 writing csvlog (preferred), PostgreSQL 14 stderr with Debian's prefix.
    ...[
      { major: 18, options: { log: { csv: true } } },
      { major: 14, options: { settings: { logging_collector: 'on', log_filename: 'postgresql.log' } } },
    ].map(({ major, options }) =>
      suite({
        name: `PostgreSQL ${major}, its log read through SQL (${'log' in options ? 'csvlog' : 'stderr'})`,
        start: async () => {
          const cluster = await Cluster.create({ major, label: `deadlog${major}`, ...options });
          await cluster.sql('CREATE DATABASE shop');
          await cluster.sql(`CREATE ROLE watcher LOGIN; GRANT pg_monitor TO watcher;
            CREATE ROLE reader LOGIN; GRANT pg_monitor, pg_read_server_files TO reader;
            GRANT EXECUTE ON FUNCTION pg_read_binary_file(text, bigint, bigint, boolean) TO reader`);
          return cluster;
        },
        healthy: {
          'no deadlock counted: the log is not even read, nothing is skipped': async (cluster) => {
            const report = await check(cluster);
            expect(realSkips(report.skipped)).toEqual([]);
            return report;
          },
        },
        faulty: {
          'both queries, the lock each waited for, the victim and the code that sent them': async (cluster) => {
            const fault = await deadlocksScenario(cluster, {
              database: 'shop',
              comments: { a: "/*app='shop',origin='src%2Fpay.ts%3A12'*/", b: "/*app='shop',origin='src%2Frefund.ts%3A40'*/" },
            });
            try {
              const report = await reportWithDeadlock(cluster, fault);
              const [finding] = findingsOf(report, 'deadlocks');
              expect(finding!.summary).toMatch(/The server log shows 1 since .*; process \d+ was canceled\.$/);
              const rows = finding!.evidence.slice(1);
              expect(rows).toEqual([
                expect.objectContaining({ pid: fault.victim.pid, canceled: true, waited_for: `ShareLock on transaction ${fault.survivor.xid}`, blocked_by: fault.survivor.pid, query: fault.victim.query }),
                expect.objectContaining({ pid: fault.survivor.pid, canceled: false, waited_for: `ShareLock on transaction ${fault.victim.xid}`, blocked_by: fault.victim.pid, query: fault.survivor.query }),
              ]);
              const codes = { [fault.victim.query]: 'src/', [fault.survivor.query]: 'src/' };
              for (const row of rows) expect(row.code).toMatch(new RegExp(`^${codes[row.query as string]}(pay|refund)\\.ts:\\d+, app shop$`));
              expect(finding!.origin).toMatchObject({ app: 'shop', origin: expect.stringMatching(/^src\/(pay|refund)\.ts:\d+$/) });
              expect(report.skipped.filter((s) => s.what === 'server-log')).toEqual([]);
              return report;
            } finally {
              await fault.release();
            }
          },
          'pg_read_server_files and EXECUTE on pg_read_binary_file are enough': async (cluster) => {
            const report = await check(cluster, { user: 'reader' });
            expect(findingsOf(report, 'deadlocks')[0]!.evidence.length).toBeGreaterThan(1);
            return report;
          },
          'pg_monitor alone: the count, and the log skipped with what the role needs': async (cluster) => {
            const report = await check(cluster, { user: 'watcher' });
            expect(report.skipped).toContainEqual({ what: 'server-log', reason: SERVER_LOG_PRIVILEGE });
            expect(findingsOf(report, 'deadlocks')[0]!.evidence).toHaveLength(1);
            return report;
          },
          '--since after the deadlock: counted, none shown': async (cluster) => {
            const report = await check(cluster, { since: Date.now() + 1000 });
            const [finding] = findingsOf(report, 'deadlocks');
            expect(finding!.summary).toContain('The server log shows none since');
            expect(finding!.evidence).toHaveLength(1);
            return report;
          },
        },
      }),
    ),
    ...eachMajor([18, 14], 'deadlocks').map((s) =>
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
  ],
});

/** check, once the deadlock is counted and its report is in the log (the collector writes it a moment later). */
async function reportWithDeadlock(cluster: Cluster, fault: DeadlocksFault): Promise<Report> {
  let report: Report | undefined;
  await waitFor(async () => {
    if (cluster.major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()');
    report = await check(cluster);
    const [finding] = findingsOf(report, 'deadlocks');
    return finding !== undefined && finding.evidence.some((row) => row.pid === fault.victim.pid);
  }, 'the deadlock to be counted and in the server log');
  return report!;
}
