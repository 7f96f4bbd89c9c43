/**
 * The schemas whose data verify reads: the given one, or every schema but the system ones and other sessions'
 * temporary schemas (their tables cannot be read from here). `column` is a namespace-name expression.
 */
export function schemaFilter(column: string, param: string): string {
  return `(CASE WHEN ${param}::text IS NULL
     THEN ${column} NOT IN ('pg_catalog', 'information_schema') AND ${column} !~ '^pg_(toast|temp_|toast_temp_)'
     ELSE ${column} = ${param}::text END)`;
}
