import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { qualified } from '../report/sql-text.js';
import type { ForeignKey } from './foreign-keys.js';

/** Operator names are symbols only; anything else from the catalog is refused rather than spliced into SQL. */
const OPERATOR_NAME = /^[+\-*/<>=~!@#%^&|`?]+$/;

/** A table as FROM names it: a plain table ONLY (a foreign key does not cover inheritance children), a partitioned one whole. */
export function fromTable(schema: string, table: string, relkind: string): string {
  return `${relkind === 'p' ? '' : 'ONLY '}${qualified(schema, table)}`;
}

/**
 * The rows of the child (alias c) that the foreign key forbids: what RI_FKey_check would have refused, written
 * as the read-only anti-join the seed documents' "orphaned orders" query is, with RI's own equality operators.
 */
export function orphanCondition(fk: ForeignKey): string {
  if (fk.childColumns.length === 0 || fk.childColumns.length !== fk.parentColumns.length) throw new Error(`foreign key ${fk.name}: column lists do not pair up`);
  const child = fk.childColumns.map((c) => `c.${quoteIdent(c)}`);
  const match = fk.parentColumns.map((p, i) => {
    const schema = fk.operatorSchemas[i];
    const name = fk.operatorNames[i];
    if (schema === undefined || name === undefined || !OPERATOR_NAME.test(name)) throw new Error(`foreign key ${fk.name}: unexpected operator ${String(name)}`);
    return `p.${quoteIdent(p)} OPERATOR(${quoteIdent(schema)}.${name}) ${child[i]}`;
  });
  const allSet = child.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const missing = `NOT EXISTS (SELECT 1 FROM ${fromTable(fk.parentSchema, fk.parentTable, fk.parentKind)} p WHERE ${match.join(' AND ')})`;
  const simple = `${allSet} AND ${missing}`;
  // MATCH FULL also forbids a key that is partly null; MATCH SIMPLE lets any null through unchecked.
  if (fk.matchType !== 'f' || child.length === 1) return simple;
  const someNull = child.map((c) => `${c} IS NULL`).join(' OR ');
  const someSet = child.map((c) => `${c} IS NOT NULL`).join(' OR ');
  return `((${simple}) OR ((${someNull}) AND (${someSet})))`;
}

/** The columns that name an orphan: its primary key, then the foreign key's columns, each once. */
export function orphanColumns(fk: ForeignKey): string[] {
  return [...new Set([...fk.childPrimaryKey, ...fk.childColumns])];
}

/** Up to $1 orphans, with their ctid (as text, like every value, so the JSON does not depend on types). */
export function orphanSampleSql(fk: ForeignKey): string {
  const columns = orphanColumns(fk).map((c) => `c.${quoteIdent(c)}::text AS ${quoteIdent(c)}`);
  return `SELECT c.ctid::text AS ctid, ${columns.join(', ')} FROM ${fromTable(fk.childSchema, fk.childTable, fk.childKind)} c WHERE ${orphanCondition(fk)} LIMIT $1`;
}

export function orphanCountSql(fk: ForeignKey): string {
  return `SELECT count(*) AS n FROM ${fromTable(fk.childSchema, fk.childTable, fk.childKind)} c WHERE ${orphanCondition(fk)}`;
}

/** What the remediation prints: the same condition, to look at and, once reviewed, to delete. */
export function orphanSelectText(fk: ForeignKey): string {
  return `SELECT c.* FROM ${fromTable(fk.childSchema, fk.childTable, fk.childKind)} AS c WHERE ${orphanCondition(fk)};`;
}

export function orphanDeleteText(fk: ForeignKey): string {
  return `DELETE FROM ${fromTable(fk.childSchema, fk.childTable, fk.childKind)} AS c WHERE ${orphanCondition(fk)};`;
}
