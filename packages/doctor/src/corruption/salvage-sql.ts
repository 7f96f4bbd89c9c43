// The catalog reads of a salvage plan. Like the scan's, none reads user data.

/** parse_ident splits the name a person gave for the new table; to_regclass says whether it is taken. */
export const TARGET_NAME_SQL = `WITH parts AS (SELECT parse_ident($1) AS p)
  SELECT CASE WHEN array_length(p, 1) = 2 THEN p[1] ELSE $2 END AS schema, p[array_length(p, 1)] AS name,
    array_length(p, 1) AS parts,
    to_regclass(quote_ident(CASE WHEN array_length(p, 1) = 2 THEN p[1] ELSE $2 END) || '.' || quote_ident(p[array_length(p, 1)])) IS NOT NULL AS taken,
    to_regnamespace(quote_ident(CASE WHEN array_length(p, 1) = 2 THEN p[1] ELSE $2 END)) IS NOT NULL AS schema_exists
  FROM parts`;

export interface TargetNameRow {
  schema: string;
  name: string;
  parts: number;
  taken: boolean;
  schema_exists: boolean;
}

export interface ColumnRow {
  name: string;
  /** The sequence a serial or identity column draws from, schema-qualified and quoted, if any. */
  sequence: string | null;
  identity: boolean;
}

/**
 * The columns a copy can write (generated columns are computed again, never inserted), with the sequences
 * behind serial and identity columns: the swap must hand those over, or dropping the old table drops them.
 */
export const COLUMNS_SQL = `SELECT a.attname AS name, pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS sequence,
  a.attidentity <> '' AS identity
  FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
  ORDER BY a.attnum`;
