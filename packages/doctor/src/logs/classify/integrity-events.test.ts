import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';
import { clogSegment } from './integrity-events.js';

function record(message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { severity: 'ERROR', message, pid: 7, source: { file: 't.log', line: 1 }, ...extra };
}

describe('checksum-failure', () => {
  it('the checksum WARNING', () => {
    expect(classifyRecord(record('page verification failed, calculated checksum 20919 but expected 15254', { severity: 'WARNING' }))).toMatchObject({
      class: 'checksum-failure',
      severity: 'critical',
      fields: { action: 'verification-failed', calculated_checksum: 20919, expected_checksum: 15254 },
    });
  });

  it('14–17: "invalid page in block N of relation base/…" (path unquoted), with the statement that read it', () => {
    const event = classifyRecord(record('invalid page in block 335458 of relation base/16385/99454', { statement: 'SELECT * FROM t' }));
    expect(event).toMatchObject({
      class: 'checksum-failure',
      relation: 'base/16385/99454',
      fields: { action: 'error', block: 335458, relation_path: 'base/16385/99454', database_oid: 16385, relfilenode: 99454, statement: 'SELECT * FROM t' },
    });
  });

  it('18: the path quoted, and the multi-block form with the first bad block from DETAIL', () => {
    expect(classifyRecord(record('invalid page in block 40 of relation "base/5/16434"'))?.fields).toMatchObject({ block: 40, relation_path: 'base/5/16434', database_oid: 5 });
    const event = classifyRecord(record('2 invalid pages among blocks 1..4 of relation "base/5/16434"', { detail: 'Block 2 held the first invalid page.', hint: 'See server log for the other 1 invalid block(s).' }));
    expect(event).toMatchObject({ class: 'checksum-failure', fields: { action: 'error', pages: 2, first_block: 1, last_block: 4, block: 2, relation_path: 'base/5/16434' } });
    expect(event?.summary).toBe('2 invalid pages among blocks 1..4 of base/5/16434');
  });

  it.each([
    ['invalid page in block 3 of relation base/5/16434; zeroing out page', { action: 'zeroed', block: 3 }],
    ['invalid page in block 3 of relation "base/5/16434"; zeroing out page', { action: 'zeroed', block: 3 }],
    ['zeroing out 2 invalid pages among blocks 1..4 of relation "base/5/16434"', { action: 'zeroed', pages: 2 }],
    ['ignoring checksum failure in block 7 of relation "base/5/16434"', { action: 'ignored', block: 7 }],
    ['ignoring 3 checksum failures among blocks 0..15 of relation "base/5/16434"', { action: 'ignored', pages: 3 }],
    ['zeroing 2 page(s) and ignoring 1 checksum failure(s) among blocks 0..15 of relation "base/5/16434"', { action: 'zeroed', pages: 2, ignored_checksum_failures: 1 }],
  ])('zero_damaged_pages / ignore_checksum_failure: %s', (message, fields) => {
    expect(classifyRecord(record(message, { severity: 'WARNING' }))).toMatchObject({ class: 'checksum-failure', severity: 'critical', fields });
  });

  it('is not a base backup checksum line or an unrelated "invalid" message', () => {
    expect(classifyRecord(record('checksum verification failed in file "./base/5/16434", block 2: calculated 1 but expected 2'))).toBeUndefined();
    expect(classifyRecord(record('invalid input syntax for type integer: "x"'))).toBeUndefined();
  });
});

describe('clog-missing', () => {
  it('derives the pg_xact segment file from the xid: xid >> 20 as %04X', () => {
    expect(clogSegment(0)).toBe('0000');
    expect(clogSegment(1048575)).toBe('0000');
    expect(clogSegment(1048576)).toBe('0001');
    expect(clogSegment(1045207414)).toBe('03E4');
    expect(clogSegment(4294967295)).toBe('0FFF');
  });

  it('names the transaction, the file the DETAIL gives and the segment', () => {
    const event = classifyRecord(
      record('could not access status of transaction 1045207414', { detail: 'Could not open file "pg_xact/03E4": No such file or directory.', statement: 'SELECT * FROM t' }),
    );
    expect(event).toMatchObject({
      class: 'clog-missing',
      severity: 'critical',
      fields: { xid: 1045207414, file: 'pg_xact/03E4', slru: 'pg_xact', segment_file: 'pg_xact/03E4', io_error: 'could not open', statement: 'SELECT * FROM t' },
    });
    expect(event?.summary).toBe('status of transaction 1045207414 unreadable (pg_xact/03E4: could not open)');
  });

  it('reads the pre-10 pg_clog directory and a read error', () => {
    const event = classifyRecord(record('could not access status of transaction 3000000', { detail: 'Could not read from file "pg_clog/0002" at offset 212992: Success.' }));
    expect(event?.fields).toMatchObject({ slru: 'pg_clog', segment_file: 'pg_clog/0002', io_error: 'could not read from' });
  });

  it('keeps other SLRUs apart: a pg_multixact error has no clog segment', () => {
    const event = classifyRecord(record('could not access status of transaction 77', { detail: 'Could not open file "pg_multixact/offsets/0000": No such file or directory.' }));
    expect(event?.fields).toMatchObject({ slru: 'pg_multixact/offsets', file: 'pg_multixact/offsets/0000' });
    expect(event?.fields.segment_file).toBeUndefined();
  });

  it('without a DETAIL, still names the segment the xid lives in', () => {
    expect(classifyRecord(record('could not access status of transaction 2097152'))?.fields).toMatchObject({ slru: 'pg_xact', segment_file: 'pg_xact/0002' });
  });
});
