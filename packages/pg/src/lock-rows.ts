import { quoteIdent } from './quote.js';
import type { TransactionClient } from './transaction-client.js';
import { invalidArgument, isArrayOf, isNonEmptyString, isOneOf, validateOptions, type Schema } from './validate-options.js';

/** How `lockRows` locks. */
export interface LockRowsOptions {
  /** The key column the ids are matched on and the lock order follows. Default "id". */
  key?: string;
  /** Columns to return. Default: all. */
  columns?: readonly string[];
  /** Row lock strength. Default "update" (FOR UPDATE); "no key update" does not block foreign-key checks. */
  strength?: 'update' | 'no key update' | 'share' | 'key share';
}

const STRENGTH = { update: 'UPDATE', 'no key update': 'NO KEY UPDATE', share: 'SHARE', 'key share': 'KEY SHARE' } as const;
const SCHEMA: Schema = Object.freeze({
  key: isNonEmptyString,
  columns: isArrayOf((c) => typeof c === 'string' && c !== '', 'column names'),
  strength: isOneOf(Object.keys(STRENGTH)),
});

/**
 * Lock the rows with these keys, in one statement and in ascending key order, so two transactions locking
 * overlapping sets always queue instead of deadlocking (the order does not depend on the order of `ids`).
 * Needs a transaction client: a row lock outside a transaction ends with its statement.
 */
export async function lockRows<R = Record<string, unknown>>(
  tx: TransactionClient,
  table: string | readonly [schema: string, table: string],
  ids: readonly unknown[],
  options: LockRowsOptions = {},
): Promise<R[]> {
  validateOptions('lockRows()', options, SCHEMA);
  if (!Array.isArray(ids)) throw invalidArgument('lockRows()', 'ids', ids, 'must be an array of keys');
  if (ids.length === 0) return [];
  const key = quoteIdent(options.key ?? 'id');
  const relation = typeof table === 'string' ? quoteIdent(table) : `${quoteIdent(table[0])}.${quoteIdent(table[1])}`;
  const columns = options.columns?.length ? options.columns.map(quoteIdent).join(', ') : '*';
  const strength = STRENGTH[options.strength ?? 'update'];
  // LockRows sits above Sort in the plan, so rows are locked in ORDER BY order.
  const sql = `SELECT ${columns} FROM ${relation} WHERE ${key} = ANY($1) ORDER BY ${key} FOR ${strength}`;
  return (await tx.query<R>(sql, [[...new Set(ids)]])).rows;
}
