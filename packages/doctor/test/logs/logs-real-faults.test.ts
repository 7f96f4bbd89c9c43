import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, deadlocks, waitFor } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type LogAnalysis } from '../../src/logs/analyze-logs.js';
import type { LogEvent, LogEventClass } from '../../src/logs/log-event.js';

/**
 * The faults of the source documents, made to happen on real servers of every supported major — each with its own
 * log_line_prefix, writing stderr, csvlog and (15+) jsonlog at once — then read back by `logs`: every fault is an
 * event of its class in every format, with the same counts, and the code that caused it named. A healthy stretch of
 * each log (the cluster's start, plain statements) gives none of these events.
 */
const SERVERS: { major: number; prefix: string; detect: boolean }[] = [
  // Values with nothing to tell them apart ("postgres postgres psql"): given, as a user would (--prefix).
  { major: 14, prefix: '%m [%p] %q%u@%d/%a ', detect: false },
  { major: 15, prefix: '%t:%r:%u@%d:[%p]:', detect: true },
  { major: 16, prefix: '[%p] %m %e %q[user=%u,db=%d,app=%a] ', detect: true },
  { major: 17, prefix: '%m %c %l %x/%v %u %d %a %h: ', detect: false },
  // Application names with spaces and "@" before user@db, and backend types: detected.
  { major: 18, prefix: '%n [%p-%l] %q%a %u@%d %b ', detect: true },
];

const EXPECTED: LogEventClass[] = [
  'deadlock',
  'lock-wait',
  'lock-timeout',
  'statement-timeout',
  'idle-in-transaction-timeout',
  'serialization-failure',
  'autovacuum',
  'vacuum-skipped',
  'temp-file',
  'slow-statement',
  'connection-lost-in-transaction',
];

/** What @mvcc-doctor/pg puts in application_name: the app, the line that opened the transaction, the route. */
const TAG = 'shop-api@src/orders.ts:42#POST /orders';

for (const { major, prefix, detect } of SERVERS) {
  describe(`logs on a real PostgreSQL ${major} log (prefix '${prefix}')`, () => {
    let cluster: Cluster;
    let files: string[];
    const analyses = new Map<string, LogAnalysis>();

    beforeAll(async () => {
      cluster = await Cluster.create({
        major,
        label: `logfaults${major}`,
        log: { linePrefix: prefix, csv: true, json: true },
        autovacuum: { naptime: '1s' },
        settings: {
          deadlock_timeout: '200ms',
          log_autovacuum_min_duration: 0,
          log_temp_files: 0,
          log_min_duration_statement: 300,
        },
      });
      await makeFaults(cluster);
      files = ['log', 'csv', ...(major >= 15 ? ['json'] : [])].map((ext) => join(cluster.logDir, `postgresql.${ext}`));
      // The collector writes every destination a moment later: the last fault in each before reading.
      await waitFor(async () => files.every((f) => existsSync(f) && readFileSync(f, 'utf8').includes('unexpected EOF on client connection with an open transaction')), 'the last fault in every log');
      // Stopped, so autovacuum writes nothing more between reading one destination and the next.
      await cluster.stop();
      for (const file of files) analyses.set(file, await analyzeLogs([file], { slowMs: 500, prefix: detect || !file.endsWith('.log') ? undefined : prefix }));
    });
    afterAll(async () => {
      await cluster?.destroy();
    });

    it('finds every fault, in every format, with the same counts; nothing unread', () => {
      const [first, ...others] = files.map((f) => analyses.get(f)!);
      for (const cls of EXPECTED) expect(first!.summary.by_class[cls], cls).toBeGreaterThanOrEqual(1);
      for (const [file, analysis] of analyses) {
        expect(analysis.summary.read.warnings, `${file}: ${analysis.summary.read.messages.join('; ')}`).toBe(0);
        expect(analysis.summary.read.files[0]!.prefixSource ?? 'n/a', file).not.toBe('fallback');
      }
      for (const other of others) expect(other.summary.by_class).toEqual(first!.summary.by_class);
      expect(first!.summary.read.files[0]).toMatchObject({ format: 'stderr', prefix, prefixSource: detect ? 'detected' : 'option' });
    });

    it('ties the faults to the code: the application tag, and the vacuum to the horizon that kept its tuples', () => {
      for (const [file, { events }] of analyses) {
        const of = (cls: LogEventClass): LogEvent[] => events.filter((e) => e.class === cls);
        const tagged = prefix.includes('%a') || !file.endsWith('.log');
        for (const cls of ['statement-timeout', 'idle-in-transaction-timeout', 'serialization-failure'] as const) {
          if (tagged) expect(of(cls)[0]?.origin, `${file} ${cls}`).toMatchObject({ app: 'shop-api', origin: 'src/orders.ts:42', route: 'POST /orders' });
        }
        // The slow statement carries a sqlcommenter comment: its origin shows whatever the prefix.
        expect(of('slow-statement').find((e) => e.origin)?.origin, file).toMatchObject({ origin: 'src/report.ts:7' });
        const held = of('autovacuum').find((e) => Number(e.fields.tuples_not_removable) > 0);
        expect(held, `${file}: an autovacuum that could not remove tuples`).toBeDefined();
        if (major >= 15) expect(held!.fields.removable_cutoff_age).toEqual(expect.any(Number));
        expect(of('temp-file')[0]!.fields.size_bytes).toBeGreaterThan(0);
        // The forgotten transaction that kept the tuples was ended by idle_in_transaction_session_timeout: named.
        // (Among the holders: with a prefix of whole seconds, a slow statement that ended in the vacuum's second was
        // running "at the time" as far as the log can tell, and comes first.)
        const accounts = analyses.get(file)!.summary.vacuum_left_behind.find((v) => v.relation.endsWith('accounts'));
        const holder = accounts?.held_by?.find((h) => h.class === 'idle-in-transaction-timeout');
        expect(holder, `${file}: what held the accounts vacuum`).toMatchObject({ class: 'idle-in-transaction-timeout', pid: of('idle-in-transaction-timeout')[0]!.pid });
        if (tagged) expect(holder!.origin).toMatchObject({ origin: 'src/orders.ts:42' });
        expect(of('deadlock')[0]!.fields.processes).toHaveLength(2);
      }
    });
  });
}

/** Each fault the way an application makes it; sessions tagged as @mvcc-doctor/pg tags them. */
async function makeFaults(cluster: Cluster): Promise<void> {
  await cluster.sql('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
  await cluster.sql('INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 1000) g');
  await cluster.sql('ALTER TABLE accounts SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0)');
  const connect = async (app = TAG): Promise<pg.Client> => {
    const client = new pg.Client({ ...cluster.connectionConfig(), application_name: app });
    client.on('error', () => {}); // the server ends some of these sessions on purpose
    await client.connect();
    return client;
  };

  // A deadlock, and the lock waits log_lock_waits reports on the way.
  const deadlock = await deadlocks(cluster);
  await deadlock.release();

  // lock_timeout and a VACUUM that skips a locked table.
  const holder = await connect('lab-holder');
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
  const waiter = await connect();
  await waiter.query(`SET lock_timeout = '100ms'`);
  await waiter.query('SELECT count(*) FROM accounts').catch(() => {});
  await waiter.query('VACUUM (SKIP_LOCKED) accounts');
  await holder.query('ROLLBACK');

  // statement_timeout.
  await waiter.query(`SET statement_timeout = '100ms'`);
  await waiter.query('SELECT pg_sleep(2)').catch(() => {});
  await waiter.query('RESET statement_timeout');

  // A slow statement from code that says where it is (sqlcommenter).
  await waiter.query(`SELECT pg_sleep(0.6) /*origin='src%2Freport.ts%3A7'*/`);

  // A sort spilling to a temporary file.
  await waiter.query(`SET work_mem = '64kB'`);
  await waiter.query('SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC LIMIT 1');

  // Write skew between two SERIALIZABLE transactions: one fails with 40001.
  const [a, b] = [await connect(), await connect()];
  for (const c of [a, b]) await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
  await a.query('SELECT sum(balance) FROM accounts WHERE id IN (1, 2)');
  await b.query('SELECT sum(balance) FROM accounts WHERE id IN (1, 2)');
  await a.query('UPDATE accounts SET balance = balance - 10 WHERE id = 1');
  await b.query('UPDATE accounts SET balance = balance - 10 WHERE id = 2');
  await a.query('COMMIT');
  await b.query('COMMIT').catch(() => b.query('ROLLBACK'));

  // A forgotten transaction holds the horizon: autovacuum finds dead tuples it may not remove.
  const forgotten = await connect();
  await forgotten.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await forgotten.query('SELECT count(*) FROM accounts');
  await cluster.sql('UPDATE accounts SET balance = balance + 1');
  await waitFor(
    async () => /automatic vacuum of table "postgres\.public\.accounts"[\s\S]*?tuples: \d+ removed, \d+ remain, [1-9]\d* are dead but not yet removable/.test(cluster.readLog()),
    'an autovacuum of accounts that leaves tuples behind',
    60_000,
  );
  // … until idle_in_transaction_session_timeout ends it.
  await forgotten.query(`SET idle_in_transaction_session_timeout = '200ms'`);
  await waitFor(async () => cluster.readLog().includes('terminating connection due to idle-in-transaction timeout'), 'the idle-in-transaction timeout');

  // A client that dies in the middle of a transaction.
  const dying = await connect();
  await dying.query('BEGIN');
  await dying.query('UPDATE accounts SET balance = balance WHERE id = 3');
  (dying as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

  for (const c of [holder, waiter, a, b, forgotten]) await c.end().catch(() => {});
}
