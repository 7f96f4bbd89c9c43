import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, deadlocks, waitFor } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/logs/log-event.js';
import type { LogSummary } from '../../src/logs/report/log-summary.js';
import { cli } from '../check/run-check.js';
import { CORPUS } from './fixtures/corpus.js';

/** `mvcc-doctor logs` end to end: a real server's log with real faults in it, and logs nobody here wrote. */
describe('logs: a real PostgreSQL 18 log with a deadlock, a lock wait and a statement timeout', () => {
  let cluster: Cluster;
  let dir: string;
  let victimPid: number;
  let survivorPid: number;

  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'logs', log: { linePrefix: '%m [%p] %q%u@%d app=%a ' }, settings: { log_lock_waits: 'on', deadlock_timeout: '200ms' } });
    dir = mkdtempSync(join(tmpdir(), 'mvcc-logs-'));
    const fault = await deadlocks(cluster);
    victimPid = fault.victim.pid;
    survivorPid = fault.survivor.pid;
    await fault.release();
    // A statement timeout, from a session that says who it is (the tags @mvcc-doctor/pg puts in application_name).
    const client = await cluster.connect('postgres', 'shop-api@src/orders.ts:42#POST /orders');
    await client.query(`SET statement_timeout = '100ms'`);
    await client.query('SELECT pg_sleep(1)').catch(() => undefined);
    await client.end();
    await waitFor(async () => cluster.readLog().includes('canceling statement due to statement timeout'), 'the timeout in the log');
  });
  afterAll(async () => {
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--json: the deadlock with both processes and their queries, the timeout with its origin; exit 1 (warnings)', async () => {
    const { code, stdout, stderr } = await cli(['logs', cluster.logFile, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const { events, summary } = JSON.parse(stdout) as { events: LogEvent[]; summary: LogSummary };
    const deadlock = events.find((e) => e.class === 'deadlock')!;
    expect(deadlock).toMatchObject({ severity: 'warning', pid: victimPid, database: 'postgres', user: 'postgres' });
    const processes = deadlock.fields.processes as { pid: number; query?: string }[];
    expect(processes.map((p) => p.pid).sort()).toEqual([victimPid, survivorPid].sort());
    for (const p of processes) expect(p.query).toMatch(/^UPDATE /);
    const timeout = events.find((e) => e.class === 'statement-timeout')!;
    expect(timeout.origin).toMatchObject({ app: 'shop-api', origin: 'src/orders.ts:42', route: 'POST /orders' });
    expect(summary.read.files[0]).toMatchObject({ format: 'stderr', prefix: '%m [%p] %q%u@%d app=%a ' });
    expect(summary.deadlocks).toHaveLength(1);
    expect(summary.by_class.deadlock).toBe(1);
  });

  it('the terminal, Markdown and HTML reports name the deadlock; the HTML needs no network', async () => {
    const html = join(dir, 'report.html');
    const text = await cli(['logs', cluster.logFile, '--html', html]);
    expect(text.stdout).toMatch(/Deadlocks, by relation and the code that took part\n {2}1× /);
    const markdown = await cli(['logs', cluster.logFile, '--markdown']);
    expect(markdown.stdout).toContain('## Deadlocks');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page.replace('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|<script/);
  });

  it('--ndjson streams one event a line, then the summary', async () => {
    const { stdout } = await cli(['logs', cluster.logFile, '--ndjson', '--class', 'deadlock']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.class ?? 'summary')).toEqual(['deadlock', 'summary']);
  });

  it('healthy: a log with no fault in it exits 0', async () => {
    const quiet = await Cluster.create({ label: 'logs-quiet' });
    try {
      await quiet.sql('SELECT 1');
      const { code, stdout } = await cli(['logs', quiet.logFile, '--json']);
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as { events: unknown[] }).events).toEqual([]);
    } finally {
      await quiet.destroy();
    }
  });
});

describe('logs on logs nobody here wrote', () => {
  it('pgBadger pg_vacuums.log.gz and pg_vacuums.json.gz: the same 2094 autovacuum and 1450 autoanalyze events', async () => {
    const counts = [];
    for (const file of ['pg_vacuums.log.gz', 'pg_vacuums.json.gz']) {
      const { stdout } = await cli(['logs', join(CORPUS, 'pgbadger', file), '--json']);
      const { summary } = JSON.parse(stdout) as { summary: LogSummary };
      counts.push(summary.by_class);
    }
    expect(counts[0]).toMatchObject({ autovacuum: 2094, autoanalyze: 1450 });
    expect(counts[1]).toEqual(counts[0]);
  });

  it('bad input: a missing file and an unknown class are one line and exit 3', async () => {
    const missing = await cli(['logs', '/nonexistent/postgresql.log']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^mvcc-doctor: [^\n]*\/nonexistent\/postgresql\.log[^\n]*\n$/);
    const cls = await cli(['logs', join(CORPUS, 'pgbadger', 'stmt_type.log'), '--class', 'nope']);
    expect(cls.code).toBe(3);
    expect(cls.stderr).toMatch(/^mvcc-doctor: usage error: --class takes one of deadlock, /);
  });
});
