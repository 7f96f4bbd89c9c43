import type { Session } from '../connect/safe-session.js';
import { schemaFilter } from './catalog-scope.js';

/** An RI trigger of a foreign key that does not fire in an ordinary session. */
export interface RiTrigger {
  name: string;
  /** The table it is on (child: checks inserts and updates; parent: acts on deletes and updates). */
  schema: string;
  table: string;
  side: 'child' | 'parent';
  /** pg_trigger.tgenabled: D disabled, R fires only under session_replication_role = replica. */
  enabled: 'D' | 'R';
}

/** A foreign key as verify reads it: names, not OIDs, so the SQL it builds quotes each one. */
export interface ForeignKey {
  name: string;
  childSchema: string;
  childTable: string;
  /** pg_class.relkind: "p" for a partitioned table (read with its partitions), "r" for a plain one (read ONLY). */
  childKind: string;
  parentSchema: string;
  parentTable: string;
  parentKind: string;
  childColumns: string[];
  parentColumns: string[];
  /** The equality operator per column pair (pg_constraint.conpfeqop), as schema and name: the one RI itself uses. */
  operatorSchemas: string[];
  operatorNames: string[];
  /** MATCH FULL ("f"): a key with some columns null is a violation; MATCH SIMPLE ("s"): it is not checked. */
  matchType: string;
  /** false: added NOT VALID and never validated, so rows from before it were never checked. */
  validated: boolean;
  /** The child's primary key columns, to name orphan rows the way the application does. */
  childPrimaryKey: string[];
  /** pg_get_constraintdef, to print the exact re-check. */
  definition: string;
  /** RI triggers (of this constraint or of its partition clones) that do not fire. */
  idleTriggers: RiTrigger[];
}

/**
 * Foreign keys whose child table is in scope, once per constraint: the clones PostgreSQL makes on each
 * partition (conparentid ≠ 0) are checked through their root, but their triggers count.
 */
export const FOREIGN_KEYS_SQL = `
WITH RECURSIVE family(root, oid) AS (
  SELECT oid, oid FROM pg_constraint WHERE contype = 'f' AND conparentid = 0
  UNION ALL
  SELECT f.root, k.oid FROM family f JOIN pg_constraint k ON k.conparentid = f.oid
)
SELECT c.conname::text AS name,
       cn.nspname::text AS child_schema, cr.relname::text AS child_table, cr.relkind::text AS child_kind,
       pn.nspname::text AS parent_schema, pr.relname::text AS parent_table, pr.relkind::text AS parent_kind,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS child_columns,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS parent_columns,
       ARRAY(SELECT ons.nspname::text FROM unnest(c.conpfeqop) WITH ORDINALITY k(op, i)
               JOIN pg_operator o ON o.oid = k.op JOIN pg_namespace ons ON ons.oid = o.oprnamespace ORDER BY k.i) AS operator_schemas,
       ARRAY(SELECT o.oprname::text FROM unnest(c.conpfeqop) WITH ORDINALITY k(op, i)
               JOIN pg_operator o ON o.oid = k.op ORDER BY k.i) AS operator_names,
       c.confmatchtype::text AS match_type,
       c.convalidated AS validated,
       ARRAY(SELECT a.attname::text FROM pg_constraint pk CROSS JOIN LATERAL unnest(pk.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = pk.conrelid AND a.attnum = k.n
              WHERE pk.conrelid = c.conrelid AND pk.contype = 'p' ORDER BY k.i) AS child_primary_key,
       pg_get_constraintdef(c.oid) AS definition,
       (SELECT coalesce(json_agg(json_build_object(
                 'name', t.tgname, 'schema', tn.nspname, 'table', tr.relname, 'enabled', t.tgenabled,
                 'side', CASE WHEN t.tgrelid IN (SELECT k.conrelid FROM family f JOIN pg_constraint k ON k.oid = f.oid WHERE f.root = c.oid)
                              THEN 'child' ELSE 'parent' END)
               ORDER BY tn.nspname, tr.relname, t.tgname), '[]')
          FROM pg_trigger t
          JOIN pg_class tr ON tr.oid = t.tgrelid
          JOIN pg_namespace tn ON tn.oid = tr.relnamespace
         WHERE t.tgconstraint IN (SELECT f.oid FROM family f WHERE f.root = c.oid) AND t.tgenabled IN ('D', 'R')) AS idle_triggers
  FROM pg_constraint c
  JOIN pg_class cr ON cr.oid = c.conrelid
  JOIN pg_namespace cn ON cn.oid = cr.relnamespace
  JOIN pg_class pr ON pr.oid = c.confrelid
  JOIN pg_namespace pn ON pn.oid = pr.relnamespace
 WHERE c.contype = 'f' AND c.conparentid = 0 AND cr.relpersistence <> 't'
   AND ${schemaFilter('cn.nspname', '$1')}
 ORDER BY cn.nspname, cr.relname, c.conname`;

interface ForeignKeyRow {
  name: string;
  child_schema: string;
  child_table: string;
  child_kind: string;
  parent_schema: string;
  parent_table: string;
  parent_kind: string;
  child_columns: string[];
  parent_columns: string[];
  operator_schemas: string[];
  operator_names: string[];
  match_type: string;
  validated: boolean;
  child_primary_key: string[];
  definition: string;
  idle_triggers: RiTrigger[];
}

export async function readForeignKeys(session: Session, schema: string | undefined): Promise<ForeignKey[]> {
  const rows = await session.query<ForeignKeyRow>(FOREIGN_KEYS_SQL, [schema ?? null]);
  return rows.map((r) => ({
    name: r.name,
    childSchema: r.child_schema,
    childTable: r.child_table,
    childKind: r.child_kind,
    parentSchema: r.parent_schema,
    parentTable: r.parent_table,
    parentKind: r.parent_kind,
    childColumns: r.child_columns,
    parentColumns: r.parent_columns,
    operatorSchemas: r.operator_schemas,
    operatorNames: r.operator_names,
    matchType: r.match_type,
    validated: r.validated,
    childPrimaryKey: r.child_primary_key,
    definition: r.definition,
    idleTriggers: r.idle_triggers,
  }));
}
