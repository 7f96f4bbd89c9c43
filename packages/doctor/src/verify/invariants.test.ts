import { describe, expect, it } from 'vitest';
import { stripInvariant } from './invariant-files.js';
import { invariantSql } from './invariants.js';

describe('invariant queries', () => {
  it('nest the file as one subquery, without its trailing semicolons, past a trailing comment', () => {
    expect(invariantSql('SELECT id FROM t WHERE balance < 0; \n\n')).toBe('SELECT *, count(*) OVER () AS mvcc_doctor_violations FROM (\nSELECT id FROM t WHERE balance < 0\n) AS invariant LIMIT $1');
    expect(invariantSql('SELECT 1 -- the end')).toContain('-- the end\n) AS invariant');
  });

  it('cannot smuggle a second statement: it stays inside the parentheses, a syntax error', () => {
    expect(invariantSql('SELECT 1; DELETE FROM t')).toContain('(\nSELECT 1; DELETE FROM t\n)');
  });

  it('strip a byte-order mark and trailing blanks only', () => {
    expect(stripInvariant('\uFEFFSELECT 1;;\n')).toBe('SELECT 1');
  });
});
