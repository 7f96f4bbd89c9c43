import type { Session } from '../connect/safe-session.js';
import { schemaFilter } from './catalog-scope.js';

/** A unique index (or the one behind a UNIQUE or PRIMARY KEY constraint), as the duplicate probe groups by it. */
export interface UniqueKey {
  schema: string;
  table: string;
  relkind: string;
  index: string;
  indexOid: number;
  /** The constraint it backs, when it backs one. */
  constraint: string | null;
  /** Per key column: the column name, or null for an expression. */
  columns: (string | null)[];
  /** Per key column, as pg_get_indexdef prints it (the expression for an expression column); see keyTexts(). */
  keyTexts: string[];
  /** A partial index: its WHERE, as pg_get_expr prints it, is read by keyTexts() too. */
  partial: boolean;
  predicate: string | null;
  /** NULLS NOT DISTINCT (15+): nulls count as equal, so they can be duplicates too. */
  nullsNotDistinct: boolean;
}

/**
 * Unique indexes of tables in scope, from the catalog alone: no function here opens a relation, so a table
 * someone holds locked costs its own probe, not the listing. A partition's index attached to a partitioned
 * table's index is checked through its parent (one GROUP BY over all partitions), not again on its own.
 */
export function uniqueKeysSql(versionNum: number): string {
  return `
SELECT n.nspname::text AS schema, t.relname::text AS table, t.relkind::text AS relkind, ic.relname::text AS index, i.indexrelid AS index_oid,
       con.conname::text AS constraint,
       ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN NULL
                         ELSE (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) END
               FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS columns,
       i.indpred IS NOT NULL AS partial,
       ${versionNum >= 150000 ? 'i.indnullsnotdistinct' : 'false'} AS nulls_not_distinct
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u')
 WHERE i.indisunique AND i.indisvalid AND t.relkind IN ('r', 'p', 'm') AND t.relpersistence <> 't'
   AND NOT EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid)
   AND ${schemaFilter('n.nspname', '$1')}
 ORDER BY 1, 2, 4`;
}

interface UniqueKeyRow {
  schema: string;
  table: string;
  relkind: string;
  index: string;
  index_oid: number;
  constraint: string | null;
  columns: (string | null)[];
  partial: boolean;
  nulls_not_distinct: boolean;
}

export async function readUniqueKeys(session: Session, versionNum: number, schema: string | undefined): Promise<UniqueKey[]> {
  const rows = await session.query<UniqueKeyRow>(uniqueKeysSql(versionNum), [schema ?? null]);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    relkind: r.relkind,
    index: r.index,
    indexOid: r.index_oid,
    constraint: r.constraint,
    columns: r.columns,
    keyTexts: r.columns.map((c) => c ?? ''),
    partial: r.partial,
    predicate: null,
    nullsNotDistinct: r.nulls_not_distinct,
  }));
}

/**
 * The texts of expression columns and of a partial index's WHERE, printed by the server (pg_get_indexdef and
 * pg_get_expr take a lock on the table, hence one key at a time). Plain-column keys need none of it.
 */
export async function withKeyTexts(session: Session, key: UniqueKey): Promise<UniqueKey> {
  if (!key.partial && key.columns.every((c) => c !== null)) return key;
  const [row] = await session.query<{ key_texts: string[]; predicate: string | null }>(
    `SELECT ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS key_texts,
            pg_get_expr(i.indpred, i.indrelid, true) AS predicate
       FROM pg_index i WHERE i.indexrelid = $1::oid`,
    [key.indexOid],
  );
  if (!row) throw new Error(`index ${key.index} is gone`);
  return { ...key, keyTexts: row.key_texts, predicate: row.predicate };
}
