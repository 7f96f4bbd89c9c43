import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs, type AnalyzeOptions } from '../../src/logs/analyze-logs.js';
import { classifyRecord } from '../../src/logs/classify/classify-record.js';
import { StatementStats } from '../../src/logs/classify/statement-stats.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import { readLogRecords } from '../../src/logs/read/index.js';
import { EventSummarizer } from '../../src/logs/report/summarize-events.js';
import { PGBADGER, pgbadgerManifest } from './log-corpus.js';

/** The analysis without the lane: every record built, then classified (and counted) one by one. */
async function everyRecord(inputs: string[], options: AnalyzeOptions) {
  const stats = new StatementStats();
  const summarizer = new EventSummarizer();
  const events: LogEvent[] = [];
  const maxEvents = options.maxEvents ?? 100_000;
  let eventsNotKept = 0;
  const reader = readLogRecords(inputs, options);
  for await (const batch of reader) {
    for (const record of batch) {
      const event = classifyRecord(record, { slowMs: options.slowMs, stats });
      if (!event) continue;
      summarizer.add(event);
      if (events.length < maxEvents) events.push(event);
      else eventsNotKept++;
    }
  }
  return { events, eventsNotKept, summary: summarizer.summary(stats.summary(), reader.stats) };
}

// A log with every statement in it: fast and slow durations with their parameters, a statement over TAB lines, one
// whose lines lost their TABs, durations after log_statement lines, and a last line without its newline.
const P = '2024-06-27 10:00:0';
const LOG = [
  `${P}1.100 CEST [101] app@shop orders@src/pay.ts:12 LOG:  duration: 0.120 ms  execute <unnamed>: UPDATE t SET v = $1 WHERE id = $2`,
  `${P}1.100 CEST [101] app@shop orders@src/pay.ts:12 DETAIL:  parameters: $1 = '5', $2 = '7'`,
  `${P}1.200 CEST [102] app@shop billing LOG:  duration: 0.300 ms  statement: SELECT *`,
  `\tFROM accounts`,
  `\tWHERE id = 42`,
  `${P}1.300 CEST [101] app@shop orders@src/pay.ts:12 LOG:  duration: 750.500 ms  execute <unnamed>: UPDATE t SET v = $1 WHERE id = $2`,
  `${P}1.300 CEST [101] app@shop orders@src/pay.ts:12 DETAIL:  parameters: $1 = '6', $2 = '8'`,
  `${P}1.400 CEST [103] app@shop psql LOG:  duration: 1.000 ms  statement: SELECT a,`,
  `    b FROM t WHERE c = 'x'`,
  `${P}1.500 CEST [104] app@shop psql LOG:  statement: DELETE FROM t WHERE id = 3`,
  `${P}1.600 CEST [104] app@shop psql LOG:  duration: 2.000 ms`,
  `${P}1.700 CEST [105] app@shop psql LOG:  statement: DELETE FROM t WHERE id = 4`,
  `${P}1.800 CEST [105] app@shop psql LOG:  duration: 900.000 ms`,
  `${P}1.900 CEST [102] app@shop billing LOG:  duration: 0.200 ms  statement: SELECT * FROM accounts WHERE id = 43 /*origin='src%2Fbill.ts%3A3'*/`,
  `${P}2.000 CEST [102] app@shop billing LOG:  duration: 0.250 ms  statement: SELECT 1`,
].join('\n');

describe('the statement lane: durations counted before records are built give the analysis of every record', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-lane-'));
    writeFileSync(join(dir, 'every-statement.log'), LOG);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on a stderr log with every statement in it: the same events (parameters of the slow ones too), statements and read counts', async () => {
    const inputs = [join(dir, 'every-statement.log')];
    const options = { slowMs: 500 };
    const lane = await analyzeLogs(inputs, options);
    expect(lane).toEqual(await everyRecord(inputs, options));
    expect(lane.events.map((e) => [e.class, e.fields.duration_ms, e.fields.parameters])).toEqual([
      ['slow-statement', 750.5, "$1 = '6', $2 = '8'"],
      ['slow-statement', 900, undefined],
    ]);
    const statements = lane.summary.statements;
    expect(statements.calls).toBe(8);
    expect(statements.statements.find((s) => s.query === 'UPDATE t SET v = ? WHERE id = ?')).toMatchObject({ calls: 2, origin: { app: 'orders', origin: 'src/pay.ts:12' } });
    expect(statements.statements.find((s) => s.query === 'SELECT * FROM accounts WHERE id = ?')).toMatchObject({ calls: 2, origin: { app: 'billing' } });
    expect(statements.statements.find((s) => s.query === 'SELECT a, b FROM t WHERE c = ?')).toMatchObject({ calls: 1 });
    expect(statements.statements.find((s) => s.query === 'DELETE FROM t WHERE id = ?')).toMatchObject({ calls: 2 });
    expect(lane.summary.read).toMatchObject({ lines: 15, records: 10 });
    expect(lane.summary.read.skipped).toEqual({});
  });

  it.each([1, 500])('on every log of the pgBadger corpus, stderr, csvlog and jsonlog take it (--slow %d)', async (slowMs) => {
    const files = pgbadgerManifest().map((row) => join(PGBADGER, row.file));
    expect(files.length).toBeGreaterThan(15);
    const options = { slowMs, maxEvents: 2000 };
    for (const file of files) expect(await analyzeLogs([file], options), file).toEqual(await everyRecord([file], options));
  });
});
