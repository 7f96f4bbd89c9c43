import { describe, expect, it } from 'vitest';
import { MAX_NORMALIZED_LENGTH, StatementKey, normalizeInto, normalizeStatement } from './normalize-statement.js';

describe('normalizeStatement', () => {
  it.each([
    ["SELECT * FROM t WHERE id = 42 AND name = 'o''clock'", 'SELECT * FROM t WHERE id = ? AND name = ?'],
    ['SELECT * FROM x WHERE y = $1 LIMIT $2', 'SELECT * FROM x WHERE y = ? LIMIT ?'],
    ['SELECT  a,\n\tb\n  FROM t', 'SELECT a, b FROM t'],
    ['SELECT 1.5e-3, .5, 0x1F, 1_000', 'SELECT ?, ?, ?, ?'],
    ["SELECT E'it\\'s', B'1010', X'ff', N'abc'", 'SELECT ?, ?, ?, ?'],
    ['SELECT $$a\'b$$, $fn$ body $fn$', 'SELECT ?, ?'],
    ['SELECT t1.c2, "Col 3" FROM t1', 'SELECT t1.c2, "Col 3" FROM t1'],
    ['SELECT "it\'s 1" FROM t', 'SELECT "it\'s 1" FROM t'],
    ["SELECT date '2024-01-01'", 'SELECT date ?'],
    ['SELECT 1 -- trailing comment\nFROM t', 'SELECT ? FROM t'],
    ["SELECT 1 /*app='orders',origin='src%2Fa.ts%3A1'*/", 'SELECT ?'],
    ['/* outer /* nested */ still comment */ SELECT 1', 'SELECT ?'],
    ['SELECT * FROM t WHERE id IN (1, 2, 3)', 'SELECT * FROM t WHERE id IN (...)'],
    ['SELECT * FROM t WHERE id IN (1,2,3,4,5,6,7)', 'SELECT * FROM t WHERE id IN (...)'],
    ["SELECT * FROM t WHERE s in ('a')", 'SELECT * FROM t WHERE s in (...)'],
    ['SELECT * FROM t WHERE id = ANY(ARRAY[1, 2, 3])', 'SELECT * FROM t WHERE id = ANY(ARRAY[...])'],
    ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", 'INSERT INTO t (a, b) VALUES (...)'],
    ['INSERT INTO t VALUES ($1, $2)', 'INSERT INTO t VALUES (...)'],
    ["SELECT prénom, \u{1F600} FROM \"tâble\" WHERE ville = 'Zürich' AND x = 1", 'SELECT prénom, \u{1F600} FROM "tâble" WHERE ville = ? AND x = ?'],
    ['SELECT 1 AS \ud800x', 'SELECT ? AS \ufffdx'],
    ['SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE v = 1)', 'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE v = ?)'],
    // A minus sign of the number's own (after an operator, "(", "[" or ","), as pg_stat_statements reads it; not a subtraction.
    ['UPDATE t SET v = v + -1294 WHERE id = -7', 'UPDATE t SET v = v + ? WHERE id = ?'],
    ['SELECT f(-1, -2.5), ARRAY[-3], a -1, a - 1, 5-3', 'SELECT f(?, ?), ARRAY[...], a -?, a - ?, ?-?'],
    ['SELECT - 1', 'SELECT - ?'],
    // Single spaces stay in the text around comments and literals without doubling or trailing.
    ["SELECT a /* c */ b, 'x' /* d */", 'SELECT a b, ?'],
    ['SELECT a/*c*/ b', 'SELECT a b'],
    ['  SELECT 1 ', 'SELECT ?'],
    ['SELECT a\t\tFROM t', 'SELECT a FROM t'],
    ['SELECT ( 1, 2 ) IN ( 3 , 4 )', 'SELECT ( ?, ? ) IN (...)'],
    // A row with anything but literals in it is no list: it stays as it is.
    ['INSERT INTO t (a, b) VALUES (1, now())', 'INSERT INTO t (a, b) VALUES (?, now())'],
    ['SELECT f(1, g(2)) FROM t WHERE x IN (1, 2)', 'SELECT f(?, g(?)) FROM t WHERE x IN (...)'],
  ])('%s', (input, expected) => {
    expect(normalizeStatement(input)).toBe(expected);
  });

  it('gives a batch of 3 and one of 300 the same key', () => {
    const ids = (n: number): string => Array.from({ length: n }, (_, i) => i + 1).join(', ');
    expect(normalizeStatement(`DELETE FROM t WHERE id IN (${ids(3)})`)).toBe(normalizeStatement(`DELETE FROM t WHERE id IN (${ids(300)})`));
  });

  it('caps the key length', () => {
    const long = `SELECT ${Array.from({ length: 2000 }, (_, i) => `c${i}`).join(', ')} FROM t`;
    expect(normalizeStatement(long).length).toBe(MAX_NORMALIZED_LENGTH + 1);
  });

  it('survives unterminated quotes and comments', () => {
    expect(normalizeStatement("SELECT 'open")).toBe('SELECT ?');
    expect(normalizeStatement('SELECT "open')).toBe('SELECT "open');
    expect(normalizeStatement('SELECT 1 /* open')).toBe('SELECT ?');
    expect(normalizeStatement('SELECT $tag$ open')).toBe('SELECT ?');
  });

  it('reads a statement where it is in a longer text, never past its end, and hashes the key as a loaded one', () => {
    const statements = [
      "SELECT * FROM t WHERE id = 42 AND name = 'o''clock'",
      "UPDATE t SET v = v + -1294 WHERE id = -7 /* c */",
      'SELECT a /* open',
      "SELECT 'open",
      'SELECT $tag$ open',
      'SELECT "open',
      'SELECT 1 -',
      'SELECT 1.',
      "INSERT INTO t VALUES (1, 'x'), (2, 'y')",
      'SELECT ARRAY[1, 2]',
      `SELECT ${Array.from({ length: 2000 }, (_, i) => `c${i}`).join(', ')}`,
    ];
    const key = new StatementKey();
    for (const statement of statements) {
      // Around it, text that would change the key if read: the end of a quote, comment or dollar tag, more digits.
      const text = `x'*/$tag$ ${statement}*/'$tag$"9 -- x`;
      const from = 10;
      normalizeInto(key, text, from, from + statement.length);
      expect(key.toString()).toBe(normalizeStatement(statement));
      expect(key.hash()).toBe(new StatementKey().load(normalizeStatement(statement)).hash());
      expect(key.equals(normalizeStatement(statement))).toBe(true);
    }
  });
});
