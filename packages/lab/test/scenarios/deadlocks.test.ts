import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type ClusterOptions } from '../../src/index.js';
import { waitFor } from '../../src/evidence.js';
import { deadlocks, type DeadlocksFault } from '../../src/scenarios/deadlocks.js';

// 18 also writes jsonlog (through the logging collector); 14 has none, so it gets a pgBadger-style prefix instead.
const setups: [number, ClusterOptions][] = [
  [18, { major: 18, log: { json: true } }],
  [14, { major: 14, log: { linePrefix: '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ' } }],
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The two "waits for" lines of a deadlock report, victim first (the process that found the cycle reports it). */
function waitsFor(fault: DeadlocksFault): string {
  const { victim, survivor } = fault;
  return (
    `Process ${victim.pid} waits for ShareLock on transaction ${survivor.xid}; blocked by process ${survivor.pid}.\n` +
    `Process ${survivor.pid} waits for ShareLock on transaction ${victim.xid}; blocked by process ${victim.pid}.`
  );
}

describe.each(setups)('scenario: deadlock between two sessions, PostgreSQL %i', (_major, options) => {
  let cluster: Cluster;
  let fault: DeadlocksFault;
  let deadlocksBefore: number;
  const deadlockCount = async () =>
    (await cluster.sql<{ n: number }>(`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = 'postgres'`)).rows[0]!.n;

  beforeAll(async () => {
    cluster = await Cluster.create({ ...options, label: 'deadlock' });
    deadlocksBefore = await deadlockCount();
    fault = await deadlocks(cluster);
  });
  afterAll(async () => {
    await fault?.release();
    await cluster?.destroy();
  });

  it('exactly one session gets 40P01; its client error carries the wait cycle but not the queries', () => {
    expect(fault.error.code).toBe('40P01');
    expect(fault.error.message).toBe('deadlock detected');
    expect(fault.error.detail).toBe(waitsFor(fault));
    expect(fault.error.detail).not.toContain('UPDATE');
    expect(fault.victim.pid).not.toBe(fault.survivor.pid);
  });

  it('the survivor went through after the victim was aborted: only its two updates are in the table', async () => {
    const { rows } = await cluster.sql<{ id: number; balance: number }>(`SELECT id, balance FROM ${fault.table} ORDER BY id`);
    // A moves 10 from row 1 to row 2, B moves 20 from row 2 to row 1; only the survivor's transfer committed.
    const aSurvived = fault.survivor.query.includes('WHERE id = 2');
    expect(rows).toEqual(aSurvived ? [{ id: 1, balance: 90 }, { id: 2, balance: 110 }] : [{ id: 1, balance: 120 }, { id: 2, balance: 80 }]);
  });

  it('pg_stat_database.deadlocks went up by exactly one', async () => {
    await waitFor(async () => (await deadlockCount()) > deadlocksBefore, 'the deadlock to reach pg_stat_database', 5000);
    expect(await deadlockCount()).toBe(deadlocksBefore + 1);
  });

  it('the server log has the full report: the cycle, then each process with its query', async () => {
    const { victim, survivor } = fault;
    const [first, second] = waitsFor(fault).split('\n').map(escape);
    const report = new RegExp(
      `\\[${victim.pid}\\][^\\n]* ERROR: {2}deadlock detected\\n` +
        `[^\\n]*\\[${victim.pid}\\][^\\n]* DETAIL: {2}${first}\\n` +
        `\\t${second}\\n` +
        `\\tProcess ${victim.pid}: ${escape(victim.query)}\\n` +
        `\\tProcess ${survivor.pid}: ${escape(survivor.query)}\\n`,
    );
    // With the logging collector (the jsonlog run) lines reach the file a moment after the error.
    const log = await waitFor(async () => {
      const text = cluster.readLog();
      return report.test(text) ? text : '';
    }, 'the deadlock report in the log', 5000);
    expect(log).toMatch(report);
    // log_lock_waits adds the line saying who found the deadlock and after how long.
    expect(log).toMatch(
      new RegExp(`LOG: {2}process ${victim.pid} detected deadlock while waiting for ShareLock on transaction ${survivor.xid} after [\\d.]+ ms`),
    );
  });

  it.runIf(writesJson(options))('jsonlog carries the same report in its "detail" field', async () => {
    const { victim, survivor } = fault;
    const expected = `${waitsFor(fault)}\nProcess ${victim.pid}: ${victim.query}\nProcess ${survivor.pid}: ${survivor.query}`;
    const entry = await waitFor(async () => {
      const lines = readFileSync(join(cluster.logDir, 'postgresql.json'), 'utf8').split('\n').filter(Boolean);
      return lines.map(parseLine).find((e) => e?.pid === victim.pid && e.state_code === '40P01');
    }, 'the deadlock in postgresql.json', 5000);
    expect(entry).toMatchObject({ error_severity: 'ERROR', message: 'deadlock detected', detail: expected, statement: victim.query });
  });

  it('release ends both sessions and drops the table', async () => {
    await fault.release();
    await fault.release();
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
    await waitFor(
      async () => (await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [[fault.victim.pid, fault.survivor.pid]])).rowCount === 0,
      'both sessions to exit',
      5000,
    );
  });
});

/** One jsonlog line; undefined for a line the collector is still writing. */
function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function writesJson(options: ClusterOptions): boolean {
  return options.log?.json === true && (options.major ?? 18) >= 15;
}
