import { describe, expect, it } from 'vitest';
import { beginSql } from './begin-sql.js';

describe('BEGIN string', () => {
  it('is plain BEGIN without options', () => {
    expect(beginSql({}, undefined)).toBe('BEGIN');
  });

  it('puts the modes, the tag and the timeouts in one simple-protocol string', () => {
    const sql = beginSql(
      { isolationLevel: 'serializable', readOnly: true, deferrable: true, statementTimeout: 5000, lockTimeout: 100, idleInTransactionSessionTimeout: 60000 },
      "app@src/a.ts:1#it's",
    );
    expect(sql).toBe(
      "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE; SET LOCAL application_name = 'app@src/a.ts:1#it''s'; " +
        'SET LOCAL statement_timeout = 5000; SET LOCAL lock_timeout = 100; SET LOCAL idle_in_transaction_session_timeout = 60000',
    );
  });

  it('says READ WRITE / NOT DEFERRABLE when asked explicitly', () => {
    expect(beginSql({ readOnly: false, deferrable: false }, undefined)).toBe('BEGIN READ WRITE NOT DEFERRABLE');
  });

  it('refuses anything that is not a known level or a whole number of ms (no injection through options)', () => {
    expect(() => beginSql({ isolationLevel: 'serializable; DROP TABLE t' as never }, undefined)).toThrow(TypeError);
    expect(() => beginSql({ statementTimeout: 1.5 }, undefined)).toThrow(TypeError);
    expect(() => beginSql({ statementTimeout: -1 }, undefined)).toThrow(TypeError);
    expect(() => beginSql({ lockTimeout: '1; DROP TABLE t' as never }, undefined)).toThrow(TypeError);
  });
});
