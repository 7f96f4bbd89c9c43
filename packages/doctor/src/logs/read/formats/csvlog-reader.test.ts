import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../log-record.js';
import { StatsRecorder, newReadStats } from '../read-stats.js';
import { LogTimeParser } from '../time/log-time.js';
import { CsvlogReader } from './csvlog-reader.js';

const PG12 = '2021-01-22 10:03:22.785 CET,"alice","shop",1486,"127.0.0.1:52306",6009c305.5ce,7,"SELECT",2021-01-21 19:08:05 CET,14/10903,0,ERROR,42P01,"relation ""t"" does not exist",,,,,,"SELECT * FROM ""t""",15,,"psql"';
const PG13 = `${PG12},"client backend"`;
const PG14 = `${PG13},,-8112313845396740087`;
const MULTI =
  '2024-06-27 00:00:07.369 CEST,,,58151,,667c8f67.e327,1,,2024-06-27 00:00:07 CEST,21/52610848,3949960645,LOG,00000,"automatic vacuum of table ""db.s.t"": index scans: 1\npages: 5 removed, 303 remain\ntuples: 828 removed",,,,,,,,,"","autovacuum worker",,0';

/** Feeds the text in blocks cut at the given line boundaries, as the line splitter would. */
function read(text: string, cuts: number[] = [], wants?: (s: string, h: string) => boolean): { records: LogRecord[]; recorder: StatsRecorder } {
  const out: LogRecord[] = [];
  const recorder = new StatsRecorder(newReadStats(), 'x.csv');
  const reader = new CsvlogReader(out, recorder, new LogTimeParser(undefined), 'x.csv', 1 << 20, wants);
  const buf = Buffer.from(text);
  let from = 0;
  for (const cut of [...cuts, buf.length]) {
    reader.block(buf, from, cut, false);
    from = cut;
  }
  reader.end();
  return { records: out, recorder };
}

/** Byte offsets just after each "\n" of the text. */
function lineEnds(text: string): number[] {
  const ends: number[] = [];
  const buf = Buffer.from(text);
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) ends.push(i + 1);
  return ends.filter((e) => e < buf.length);
}

describe('CsvlogReader', () => {
  it('reads the 23-, 24- and 26-column layouts of PostgreSQL 9.0–12, 13 and 14+', () => {
    const { records } = read(`${PG12}\n${PG13}\n${PG14}\n`);
    const common = {
      time: Date.UTC(2021, 0, 22, 9, 3, 22, 785),
      pid: 1486,
      severity: 'ERROR',
      message: 'relation "t" does not exist',
      statement: 'SELECT * FROM "t"',
      sqlstate: '42P01',
      user: 'alice',
      database: 'shop',
      application: 'psql',
      client: '127.0.0.1:52306',
      sessionLine: 7,
      virtualXid: '14/10903',
    };
    expect(records[0]).toEqual({ ...common, source: { file: 'x.csv', line: 1 } });
    expect(records[1]).toEqual({ ...common, backendType: 'client backend', source: { file: 'x.csv', line: 2 } });
    expect(records[2]).toEqual({ ...common, backendType: 'client backend', queryId: '-8112313845396740087', source: { file: 'x.csv', line: 3 } });
  });

  it('keeps a quoted message with newlines whole, also when it spans blocks; counts lines', () => {
    const text = `${MULTI}\n${PG14}\n`;
    for (const cuts of [[], lineEnds(text), [lineEnds(text)[0]!]]) {
      const { records, recorder } = read(text, cuts);
      expect(records.map((r) => r.message)).toEqual(['automatic vacuum of table "db.s.t": index scans: 1\npages: 5 removed, 303 remain\ntuples: 828 removed', 'relation "t" does not exist']);
      expect(records[0]).toMatchObject({ xid: '3949960645', backendType: 'autovacuum worker' });
      expect(records[0]!.application).toBeUndefined();
      expect(records[0]!.queryId).toBeUndefined();
      expect(records[1]!.source.line).toBe(4);
      expect(recorder.file.lines).toBe(4);
    }
  });

  it('reads a last record without its newline, and CRLF line ends', () => {
    expect(read(PG14).records).toHaveLength(1);
    expect(read(`${PG12}\r\n${PG13}\r\n`).records.map((r) => r.backendType)).toEqual([undefined, 'client backend']);
  });

  it('skips malformed records and resumes at the next line that starts like a record', () => {
    const text = `garbage, not csv\n"unclosed quote,\n${PG14}\n2021-01-01 00:00:00 UTC,too,few\n${PG12}\n`;
    const { records, recorder } = read(text);
    expect(records.map((r) => r.source.line)).toEqual([3, 5]);
    expect(recorder.file.skipped['bad-csv']).toBe(3);
    expect(recorder.file.warnings).toBe(3);
  });

  it('gives up on an unclosed quote at the end of the input without losing what came before', () => {
    const { records, recorder } = read(`${PG14}\n2021-01-01 00:00:00 UTC,"never closed\nmore\n`);
    expect(records).toHaveLength(1);
    expect(recorder.file.skipped['bad-csv']).toBeGreaterThan(0);
  });

  it('lets the gate decline records by severity and first message line', () => {
    const { records, recorder } = read(`${MULTI}\n${PG14}\n`, [], (severity) => severity === 'ERROR');
    expect(records.map((r) => r.severity)).toEqual(['ERROR']);
    expect(recorder.file.skipped.filtered).toBe(3);
  });
});
