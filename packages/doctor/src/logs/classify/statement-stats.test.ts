import { describe, expect, it } from 'vitest';
import { StatementStats } from './statement-stats.js';

describe('StatementStats', () => {
  it('aggregates calls, total, mean and max per normalised statement, longest total first', () => {
    const stats = new StatementStats();
    stats.add(10, 'SELECT * FROM t WHERE id = 1');
    stats.add(30, 'SELECT * FROM t WHERE id = 2');
    stats.add(5, 'UPDATE t SET v = 1');
    stats.add(7, undefined);
    expect(stats.summary()).toEqual({
      calls: 4,
      total_ms: 52,
      statements: [
        { query: 'SELECT * FROM t WHERE id = ?', calls: 2, total_ms: 40, mean_ms: 20, max_ms: 30 },
        { query: 'UPDATE t SET v = ?', calls: 1, total_ms: 5, mean_ms: 5, max_ms: 5 },
      ],
      other: { calls: 1, total_ms: 7, max_ms: 7, distinct: 0 },
    });
  });

  it('keeps at most maxEntries statements in bounded memory, the rest in "other", with exact overall totals', () => {
    const stats = new StatementStats({ maxEntries: 10 });
    // 1000 distinct statements (table names differ, so they do not normalise together); t0…t9 are the heavy ones.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) stats.add(i < 10 ? 1000 : 1, `SELECT * FROM t${i}`);
    }
    const summary = stats.summary();
    expect(summary.statements).toHaveLength(10);
    expect(summary.statements.map((s) => s.query).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `SELECT * FROM t${i}`).sort());
    expect(summary.statements.every((s) => s.calls === 3 && s.total_ms === 3000)).toBe(true);
    expect(summary.calls).toBe(3000);
    expect(summary.total_ms).toBe(3 * (10 * 1000 + 990));
    expect(summary.other.calls).toBe(3000 - 30);
    expect(summary.other.total_ms).toBe(3 * 990);
  });

  it("keeps the origin of a statement's first call: its comment, else the session's application_name", () => {
    const stats = new StatementStats();
    stats.add(2, "SELECT * FROM a /*app='orders',origin='src%2Fa.ts%3A1'*/", 'psql');
    stats.add(1, 'SELECT * FROM b', 'billing');
    stats.add(1, 'SELECT * FROM b', 'other');
    stats.add(1, 'SELECT * FROM c', undefined);
    expect(stats.summary().statements.map((s) => s.origin)).toEqual([{ app: 'orders', origin: 'src/a.ts:1' }, { app: 'billing' }, undefined]);
  });

  it('hands a remembered statement to one later duration of the same pid, and forgets the oldest beyond maxPending', () => {
    const stats = new StatementStats({ maxPending: 2 });
    stats.remember(1, 'SELECT 1');
    stats.remember(2, 'SELECT 2');
    stats.remember(3, 'SELECT 3');
    expect(stats.take(1)).toBeUndefined();
    expect(stats.take(2)).toBe('SELECT 2');
    expect(stats.take(2)).toBeUndefined();
    expect(stats.take(3)).toBe('SELECT 3');
  });
});
