/**
 * amcheck looks at storage, so its scope includes the system catalogs and TOAST: every schema but other
 * sessions' temporary ones, or, with --schema, that schema's relations and their TOAST tables. `rel` is the
 * pg_class alias of the table (or TOAST table) checked.
 */
export function storageScope(rel: string, param: string): { joins: string; where: string } {
  return {
    joins: `JOIN pg_namespace n ON n.oid = ${rel}.relnamespace
  LEFT JOIN pg_class owner ON owner.reltoastrelid = ${rel}.oid
  LEFT JOIN pg_namespace own ON own.oid = owner.relnamespace`,
    where: `${rel}.relpersistence <> 't' AND (CASE WHEN ${param}::text IS NULL THEN n.nspname !~ '^pg_(temp|toast_temp)_'
                ELSE coalesce(own.nspname, n.nspname) = ${param}::text END)`,
  };
}
