import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { fromTable } from './orphan-sql.js';
import type { UniqueKey } from './unique-keys.js';

/** Each key column as SQL: a quoted column, or the index's expression as the server printed it. */
function keyExpressions(key: UniqueKey): string[] {
  return key.columns.map((column, i) => (column === null ? `(${key.keyTexts[i]!})` : quoteIdent(column)));
}

/** How a key column is named in the evidence: the column, or the expression text. */
export function keyNames(key: UniqueKey): string[] {
  return key.columns.map((column, i) => column ?? key.keyTexts[i]!);
}

/** Rows the unique index covers: its predicate, and (unless NULLS NOT DISTINCT) no null in the key. */
function covered(key: UniqueKey): string {
  const parts = [...(key.predicate ? [`(${key.predicate})`] : []), ...(key.nullsNotDistinct ? [] : keyExpressions(key).map((k) => `${k} IS NOT NULL`))];
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

/**
 * Up to $1 key values held by more than one row, read from the heap: the caller turns index scans off, since
 * the index is the thing that may be lying. Keys come back as k1…kn (names may be long expressions), with the
 * ctids of the first rows of each (and their partition, for a partitioned table).
 */
export function duplicateSampleSql(key: UniqueKey): string {
  const keys = keyExpressions(key);
  const select = keys.map((k, i) => `${k}::text AS k${i + 1}`).join(', ');
  const where = key.relkind === 'p' ? 'tableoid::regclass::text || \':\' || ctid::text' : 'ctid::text';
  return `SELECT ${select}, count(*) AS n, (array_agg(${where} ORDER BY tableoid, ctid))[1:5] AS ctids FROM ${fromTable(key.schema, key.table, key.relkind)}${covered(key)} GROUP BY ${keys.join(', ')} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT $1`;
}

/** How many keys are duplicated, and how many rows too many there are. */
export function duplicateCountSql(key: UniqueKey): string {
  const keys = keyExpressions(key);
  return `SELECT count(*) AS keys, coalesce(sum(n - 1), 0) AS extra FROM (SELECT count(*) AS n FROM ${fromTable(key.schema, key.table, key.relkind)}${covered(key)} GROUP BY ${keys.join(', ')} HAVING count(*) > 1) d`;
}

/** The planner settings that keep the probe off the index. */
export const HEAP_ONLY: Readonly<Record<string, string>> = Object.freeze({ enable_indexscan: 'off', enable_bitmapscan: 'off', enable_indexonlyscan: 'off' });
