import { describe, expect, it } from 'vitest';
import { findLogHits, isClogHit } from './log-xids.js';

describe('findLogHits', () => {
  it('reads stderr, csvlog and jsonlog records alike, with the file their DETAIL names', () => {
    const stderr = [
      '2026-01-02 03:04:05.678 UTC [42] app@shop ERROR:  could not access status of transaction 727',
      '2026-01-02 03:04:05.678 UTC [42] app@shop DETAIL:  Could not open file "pg_xact/0000": No such file or directory.',
      '2026-01-02 03:04:05.678 UTC [42] app@shop STATEMENT:  SELECT * FROM t',
    ].join('\n');
    const csv = '2026-01-02 03:04:06.000 UTC,"app","shop",43,,,,,,,,ERROR,58P01,"could not access status of transaction 3000000","Could not read from file ""pg_xact/0002"" at offset 212992: read too few bytes.",,,,,"SELECT 1",,,"psql","client backend",,0';
    const json = '{"timestamp":"2026-01-02 03:04:07.000 UTC","error_severity":"ERROR","state_code":"58P01","message":"could not access status of transaction 77","detail":"Could not open file \\"pg_multixact/offsets/0000\\": No such file or directory."}';
    expect(findLogHits([stderr, csv, json, stderr].join('\n'))).toEqual([
      { id: 3000000, file: 'pg_xact/0002', count: 1 },
      { id: 77, file: 'pg_multixact/offsets/0000', count: 1 },
      { id: 727, file: 'pg_xact/0000', count: 2 },
    ]);
  });

  it('never lends one error the DETAIL of the next', () => {
    const text = 'ERROR:  could not access status of transaction 5\nERROR:  could not access status of transaction 6\nDETAIL:  Could not open file "pg_xact/0000": No such file or directory.';
    expect(findLogHits(text)).toEqual([{ id: 5, count: 1 }, { id: 6, file: 'pg_xact/0000', count: 1 }]);
  });

  it('leaves out errors of mvcc-doctor\'s own statements (its pg_xact_status probe)', () => {
    const text = [
      'ERROR:  could not access status of transaction 9',
      'DETAIL:  Could not open file "pg_xact/0000": No such file or directory.',
      'STATEMENT:  /* mvcc-doctor */ SELECT pg_xact_status($1::text::xid8) AS status',
      'ERROR:  could not access status of transaction 8',
      'STATEMENT:  SELECT * FROM t',
    ].join('\n');
    expect(findLogHits(text)).toEqual([{ id: 8, count: 1 }]);
  });

  it('tells transaction IDs from MultiXactIds by the directory', () => {
    expect(isClogHit({ id: 1, count: 1 })).toBe(true);
    expect(isClogHit({ id: 1, file: 'pg_clog/0001', count: 1 })).toBe(true);
    expect(isClogHit({ id: 1, file: 'pg_multixact/members/0001', count: 1 })).toBe(false);
  });
});
