/**
 * Autovacuum, analyze and the failsafe name a table as "db.schema.table" (unquoted, so a name with a dot is
 * ambiguous): the database is before the first dot, the table after the last.
 */
export function splitQualifiedTable(name: string): { database?: string; relation: string } {
  const first = name.indexOf('.');
  if (first < 0) return { relation: name };
  const rest = name.slice(first + 1);
  return rest.includes('.') ? { database: name.slice(0, first), relation: rest } : { relation: name };
}

export interface RelationPath {
  database_oid?: number;
  relfilenode?: number;
}

/** "base/16385/99454" (PG 18 quotes it): the database OID and the file node, for finding the table later. */
export function parseRelationPath(path: string): RelationPath {
  const match = /^base\/(\d+)\/(\d+)/.exec(path);
  if (match) return { database_oid: Number(match[1]), relfilenode: Number(match[2]) };
  const global = /^global\/(\d+)/.exec(path);
  if (global) return { database_oid: 0, relfilenode: Number(global[1]) };
  const tablespace = /^pg_tblspc\/\d+\/[^/]+\/(\d+)\/(\d+)/.exec(path);
  if (tablespace) return { database_oid: Number(tablespace[1]), relfilenode: Number(tablespace[2]) };
  return {};
}
