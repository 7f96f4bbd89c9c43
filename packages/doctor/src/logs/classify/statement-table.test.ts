import { describe, expect, it } from 'vitest';
import { StatementKey } from './normalize-statement.js';
import { StatementTable, type KeyedRow } from './statement-table.js';

describe('StatementTable', () => {
  it('finds, chains and deletes rows whose keys share a hash', () => {
    const table = new StatementTable<KeyedRow>();
    const rows = ['a', 'b', 'c'].map((query): KeyedRow => ({ query, hash: 7, next: undefined }));
    for (const row of rows) table.insert(row);
    const key = (text: string): StatementKey => new StatementKey().load(text);
    expect(table.size).toBe(3);
    expect(table.find(key('b'), 7)).toBe(rows[1]);
    expect(table.find(key('b'), 8)).toBeUndefined();
    table.delete(rows[1]!);
    expect(table.find(key('b'), 7)).toBeUndefined();
    expect(table.find(key('a'), 7)).toBe(rows[0]);
    expect(table.find(key('c'), 7)).toBe(rows[2]);
    table.delete(rows[2]!);
    table.delete(rows[0]!);
    expect(table.size).toBe(0);
    expect([...table.rows()]).toEqual([]);
  });
});
