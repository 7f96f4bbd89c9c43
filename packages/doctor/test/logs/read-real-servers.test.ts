import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, deadlocks, waitFor, type DeadlocksFault } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/logs/log-record.js';
import { readLogRecords, type ReadOptions, type ReadStats } from '../../src/logs/read/index.js';

/**
 * Logs written by real servers (PostgreSQL 14 and 18) with three log_line_prefix values, csvlog, and jsonlog
 * where the server has it (15+): the statements a known session ran, an error with its STATEMENT, a multi-line
 * statement and a deadlock come out with the right pid, user, database and application, the deadlock's DETAIL
 * folded in — and the same in every format.
 */
const PREFIXES = [
  // pgBadger's recommendation, detected.
  { prefix: '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ', detect: true },
  // RDS-like with milliseconds and the SQLSTATE, detected.
  { prefix: '%m:%r:%u@%d:[%p]:%e:', detect: true },
  // Every exotic escape, nothing to key them by: given, not detected.
  { prefix: '%n|%p|%c|%l|%v|%x|%b|%a|%u|%d| ', detect: false },
];

interface Phase {
  cluster: Cluster;
  prefix: string;
  detect: boolean;
  started: number;
  session: { pid: number };
  marker: string;
  multiLine: string;
  missing: string;
  deadlock: DeadlocksFault;
}

for (const major of [14, 18]) {
  describe(`PostgreSQL ${major}`, () => {
    const phases: Phase[] = [];

    beforeAll(async () => {
      for (const [i, { prefix, detect }] of PREFIXES.entries()) {
        const cluster = await Cluster.create({
          major,
          label: `logread${major}p${i}`,
          log: { linePrefix: prefix, csv: true, json: major >= 15, statement: 'all' },
        });
        try {
          phases.push(await runWorkload(cluster, prefix, detect, i));
        } catch (error) {
          await cluster.destroy();
          throw error;
        }
      }
    });

    afterAll(async () => {
      for (const phase of phases) {
        await phase.deadlock.release().catch(() => {});
        await phase.cluster.destroy();
      }
    });

    it('detects each detectable prefix exactly, and reads every line of every format without a warning', async () => {
      for (const phase of phases) {
        for (const file of logFiles(phase)) {
          const { stats } = await readAll(file, phase.detect ? {} : { prefix: phase.prefix });
          expect(stats.files[0], file).toMatchObject({
            format: file.endsWith('.csv') ? 'csvlog' : file.endsWith('.json') ? 'jsonlog' : 'stderr',
            ...(file.endsWith('.log') ? { prefix: phase.prefix, prefixSource: phase.detect ? 'detected' : 'option' } : {}),
          });
          expect(stats.warnings, `${file}: ${stats.messages.join('; ')}`).toBe(0);
          expect(stats.skipped.unparsed ?? 0).toBe(0);
          expect(stats.skipped.orphan ?? 0).toBe(0);
        }
      }
    });

    it("gives the session's statements with its pid, user, database, application and the server's time", async () => {
      for (const phase of phases) {
        for (const file of logFiles(phase)) {
          const { records } = await readAll(file, phase.detect ? {} : { prefix: phase.prefix });
          const app = carries(phase, file, '%a') ? { application: 'read-test-app' } : {};
          const statement = records.find((r) => r.message === `statement: SELECT '${phase.marker}'`);
          expect(statement, file).toMatchObject({ pid: phase.session.pid, severity: 'LOG', user: 'reader', database: 'shop', ...app });
          expect(statement!.time).toBeGreaterThanOrEqual(phase.started - 2000);
          expect(statement!.time).toBeLessThanOrEqual(Date.now() + 2000);

          const multi = records.find((r) => r.message.startsWith('statement: SELECT 1 AS one,'));
          expect(multi?.message, file).toBe(`statement: ${phase.multiLine}`);

          const error = records.find((r) => r.severity === 'ERROR' && r.message.includes(phase.missing));
          expect(error, file).toMatchObject({ pid: phase.session.pid, statement: `SELECT * FROM ${phase.missing}`, user: 'reader', ...app });
          if (carries(phase, file, '%e')) expect(error!.sqlstate).toBe('42P01');
        }
      }
    });

    it('folds the deadlock report: every process, its lock, its query; HINT, CONTEXT and STATEMENT', async () => {
      for (const phase of phases) {
        const { victim, survivor } = phase.deadlock;
        for (const file of logFiles(phase)) {
          const { records } = await readAll(file, phase.detect ? {} : { prefix: phase.prefix });
          const report = records.filter((r) => r.message === 'deadlock detected');
          expect(report, file).toHaveLength(1);
          const [deadlock] = report as [LogRecord];
          expect(deadlock).toMatchObject({ severity: 'ERROR', pid: victim.pid, database: 'shop', hint: 'See server log for query details.' });
          if (carries(phase, file, '%a')) expect(deadlock.application).toMatch(/^lab-deadlock-[ab]$/);
          expect(deadlock.detail).toContain(`Process ${victim.pid} waits for ShareLock on transaction ${survivor.xid}; blocked by process ${survivor.pid}.`);
          expect(deadlock.detail).toContain(`Process ${survivor.pid} waits for ShareLock on transaction ${victim.xid}; blocked by process ${victim.pid}.`);
          expect(deadlock.detail).toContain(`Process ${victim.pid}: ${victim.query}`);
          expect(deadlock.detail).toContain(`Process ${survivor.pid}: ${survivor.query}`);
          expect(deadlock.context).toMatch(/^while updating tuple \(\d+,\d+\) in relation /);
          expect(deadlock.statement).toBe(victim.query);

          // log_lock_waits: the victim's deadlock check reported its wait ("detected deadlock while waiting", or
          // "still waiting" when the survivor's check ran first), with the holder in its DETAIL.
          const wait = records.find((r) => r.pid === victim.pid && /^process \d+ (?:still waiting|detected deadlock while waiting) for ShareLock on transaction \d+ after/.test(r.message));
          expect(wait, file).toBeDefined();
          expect(wait!.detail).toMatch(/^Process holding the lock: \d+\. Wait queue: /);
          expect(wait!.context).toMatch(/^while updating tuple/);
          expect(wait!.statement).toBe(victim.query);
        }
      }
    });

    it('gives the same records in every format', async () => {
      for (const phase of phases) {
        const [stderr, ...others] = await Promise.all(logFiles(phase).map(async (file) => (await readAll(file, phase.detect ? {} : { prefix: phase.prefix })).records));
        // The collector writes every message to each destination. Only stderr appends the error position to the
        // message (csvlog and jsonlog give it a field of its own), and it has application_name only if the prefix does.
        // %r gives the client as csvlog writes it ("host:port"); %h only the host.
        const app = phase.prefix.includes('%a');
        const client = phase.prefix.includes('%r');
        const key = (r: LogRecord) =>
          [
            r.pid,
            r.severity,
            r.message.replace(/ at character \d+$/, ''),
            r.detail,
            r.hint,
            r.context,
            r.statement,
            r.user,
            r.database,
            app ? r.application : '',
            client ? r.client : '',
          ].join('|');
        // Each backend sends a message to every destination in turn, so two backends' lines can interleave in a
        // different order in each file; within one process the order is the same. Compared process by process.
        const inProcessOrder = (records: LogRecord[]) => [...records].sort((a, b) => Number(a.pid) - Number(b.pid)).map(key);
        for (const other of others) expect(inProcessOrder(other)).toEqual(inProcessOrder(stderr!));
      }
    });
  });
}

async function runWorkload(cluster: Cluster, prefix: string, detect: boolean, i: number): Promise<Phase> {
  const started = Date.now();
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql('CREATE ROLE reader LOGIN');
  const client = new pg.Client({ ...cluster.connectionConfig('shop'), user: 'reader', application_name: 'read-test-app' });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const marker = `marker-${i}`;
    await client.query(`SELECT '${marker}'`);
    const multiLine = 'SELECT 1 AS one,\n       2 AS two\n  FROM generate_series(1, 1)';
    await client.query(multiLine);
    const missing = `no_such_table_${i}`;
    await client.query(`SELECT * FROM ${missing}`).catch(() => {});
    const deadlock = await deadlocks(cluster, { database: 'shop' });
    const phase: Phase = { cluster, prefix, detect, started, session: rows[0]!, marker, multiLine, missing, deadlock };
    // The logging collector writes a moment later: wait until every destination has the deadlock.
    await waitFor(async () => logFiles(phase).every((file) => existsSync(file) && readFileSync(file, 'utf8').includes('deadlock detected')), 'the deadlock in the logs');
    return phase;
  } finally {
    await client.end();
  }
}

/** Whether records of this file carry what the escape stands for: csvlog and jsonlog carry everything. */
function carries(phase: Phase, file: string, escape: string): boolean {
  return !file.endsWith('.log') || phase.prefix.includes(escape);
}

function logFiles(phase: Phase): string[] {
  const base = join(phase.cluster.logDir, 'postgresql');
  return [`${base}.log`, `${base}.csv`, ...(phase.cluster.major >= 15 ? [`${base}.json`] : [])];
}

async function readAll(file: string, options: ReadOptions): Promise<{ records: LogRecord[]; stats: ReadStats }> {
  const reader = readLogRecords([file], options);
  const records: LogRecord[] = [];
  for await (const batch of reader) records.push(...batch);
  return { records, stats: reader.stats };
}
