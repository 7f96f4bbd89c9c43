import { Cluster, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import rollbacks from '../../src/checks/rollbacks.js';
import type { ServerLogRead } from '../../src/collect/server-log.js';
import type { TransactionsRow } from '../../src/collect/transactions-dataset.js';
import { classifyRecord } from '../../src/logs/classify/classify-record.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { snapshot } from './row-fixtures.js';
import { check, findingsOf } from './run-check.js';

function counts(datname: string, fields: Partial<TransactionsRow> = {}): TransactionsRow {
  return { datname, xact_commit: 100_000, xact_rollback: 100, deadlocks: 0, conflicts: 0, stats_reset: null, seconds: null, sessions: null, sessions_abandoned: null, sessions_fatal: null, sessions_killed: null, ...fields };
}

/** "could not serialize access due to concurrent update" as the server logs it, with its STATEMENT line. */
function serializationFailure(statement: string, database = 'shop'): LogEvent {
  return classifyRecord({ time: Date.UTC(2026, 4, 1, 10), pid: 77, severity: 'ERROR', sqlstate: '40001', message: 'could not serialize access due to concurrent update', database, statement, source: { file: '-', line: 1 } })!;
}

function serverLog(failures: LogEvent[]): ServerLogRead {
  return { file: '/pg/log/postgresql.csv', format: 'csvlog', bytes_read: 1, file_bytes: 1, since: Date.UTC(2026, 4, 1), deadlocks: [], serialization_failures: failures };
}

const TRANSFER = "UPDATE accounts SET balance = balance - 10 WHERE id = 1 /*app='bank',origin='src%2Ftransfer.ts%3A31'*/";

testCheck(rollbacks, {
  evaluate: {
    faulty: [
      {
        name: 'most transactions roll back, the log names the failing statement and its code',
        snapshot: snapshot({
          transactions: [counts('app'), counts('shop', { xact_commit: 4000, xact_rollback: 6000, stats_reset: new Date(Date.UTC(2026, 4, 1)), seconds: 1000, sessions: 50, sessions_abandoned: 2, sessions_fatal: 1, sessions_killed: 0 })],
          serverLog: serverLog([serializationFailure(TRANSFER), serializationFailure(TRANSFER), serializationFailure('DELETE FROM carts WHERE id = 9')]),
        }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'shop' },
            summary: '60% of the transactions in "shop" roll back (6,000 of 10,000 since 2026-05-01T00:00:00.000Z, 6.00/s). The server log shows 3 serialization failure(s) (40001) since 2026-05-01T00:00:00.000Z.',
            evidence: [
              { database: 'shop', xact_commit: 4000, xact_rollback: 6000, rollback_percent: 60, rollbacks_per_second: 6, sessions_abandoned: 2, sessions_fatal: 1, serialization_failures_in_log: 3 },
              { failed_statement: TRANSFER, failures: 2, reason: 'concurrent update', code: 'src/transfer.ts:31, app bank' },
              { failed_statement: 'DELETE FROM carts WHERE id = 9', failures: 1 },
            ],
            origin: { app: 'bank', origin: 'src/transfer.ts:31' },
            remediation: [expect.stringContaining('mvcc-doctor logs /pg/log/postgresql.csv'), expect.stringContaining('retry 40001'), expect.stringContaining('ROLLBACK')],
          },
        ],
      },
      {
        name: 'past rollbackPercent without the log: info, and honest about what is not measured',
        snapshot: snapshot({ transactions: [counts('app', { xact_commit: 20_000, xact_rollback: 3000 })] }),
        findings: [
          {
            severity: 'info',
            summary: '13% of the transactions in "app" roll back (3,000 of 23,000 since its statistics began). PostgreSQL does not count serialization failures (40001): they are among these rollbacks, named only in the server log, which this role could not read.',
            evidence: [{ rollback_percent: 13, stats_reset: null }],
          },
        ],
      },
    ],
    healthy: [
      { name: 'few rollbacks', snapshot: snapshot({ transactions: [counts('app')] }) },
      { name: 'a high share of too few to be a rate', snapshot: snapshot({ transactions: [counts('app', { xact_commit: 10, xact_rollback: 999 })] }) },
      { name: 'many, but under rollbackPercent', snapshot: snapshot({ transactions: [counts('app', { xact_commit: 100_000, xact_rollback: 9_000 })] }) },
    ],
  },
  cluster: [
    { major: 18, options: { log: { csv: true } } },
    { major: 14, options: { settings: { logging_collector: 'on', log_filename: 'postgresql.log' } } },
  ].map(({ major, options }) =>
    suite({
      name: `PostgreSQL ${major}, its log read through SQL`,
      start: async () => {
        const cluster = await Cluster.create({ major, label: `rollbacks${major}`, ...options });
        try {
          await cluster.sql('CREATE DATABASE shop');
          await cluster.sql('CREATE ROLE watcher LOGIN; GRANT pg_monitor TO watcher');
          await cluster.sql(`CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 100)`, [], 'shop');
          return cluster;
        } catch (error) {
          await cluster.destroy();
          throw error;
        }
      },
      healthy: {
        'commits, a few rollbacks: silent': async (cluster) => {
          for (let i = 0; i < 20; i++) await cluster.sql('BEGIN; SELECT 1; ROLLBACK', [], 'shop');
          return check(cluster);
        },
      },
      faulty: {
        'most transactions roll back; the serialization failure among them named, with its statement and code': async (cluster) => {
          const client = await cluster.connect('shop', 'lab-rollbacks');
          try {
            for (let i = 0; i < 1200; i++) await client.query('BEGIN; SELECT 1; ROLLBACK');
            // A REPEATABLE READ transaction updating a row another transaction changed since its snapshot: 40001.
            await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
            await client.query('SELECT balance FROM accounts WHERE id = 1');
            await cluster.sql('UPDATE accounts SET balance = balance + 1 WHERE id = 1', [], 'shop');
            await expect(client.query(TRANSFER)).rejects.toMatchObject({ code: '40001' });
            await client.query('ROLLBACK');
          } finally {
            await client.end();
          }
          let report: Report | undefined;
          await waitFor(async () => {
            if (cluster.major < 15) await cluster.sql('SELECT pg_stat_clear_snapshot()');
            report = await check(cluster);
            const [finding] = findingsOf(report, 'rollbacks');
            return finding?.evidence[0]?.serialization_failures_in_log === 1;
          }, 'the rollbacks to be counted and the failure to be in the log');
          const [finding] = findingsOf(report!, 'rollbacks');
          expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'shop' }, origin: { app: 'bank', origin: 'src/transfer.ts:31' } });
          // PostgreSQL 14 sets stats_reset when a database's statistics start (a rate then), 18 leaves it null.
          expect(finding!.summary).toMatch(/^\d+% of the transactions in "shop" roll back \([\d,]+ of [\d,]+ since (its statistics began|\S+Z, [\d.,]+\/s)\)\. The server log shows 1 serialization failure\(s\) \(40001\) since /);
          expect(finding!.evidence[1]).toMatchObject({ failed_statement: TRANSFER, failures: 1, reason: 'concurrent update', code: 'src/transfer.ts:31, app bank' });
          if (major >= 14) expect(finding!.evidence[0]).toHaveProperty('sessions_fatal');
          return report!;
        },
        'pg_monitor alone: the rates, and said plainly that the failures are not measurable': async (cluster) => {
          const report = await check(cluster, { user: 'watcher' });
          const [finding] = findingsOf(report, 'rollbacks');
          expect(finding!.summary).toContain('PostgreSQL does not count serialization failures (40001)');
          // Many rollbacks alone do not make the unreadable log a skip (deadlocks would).
          expect(report.skipped.filter((s) => s.what === 'server-log')).toEqual([]);
          return report;
        },
      },
    }),
  ),
});
