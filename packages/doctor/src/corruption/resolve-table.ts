import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import { RELATION_BY_NAME_SQL, type RelationRow } from './scan-sql.js';

const KIND: Record<string, string> = { p: 'a partitioned table (scan its partitions)', f: 'a foreign table', v: 'a view', i: 'an index', I: 'a partitioned index', t: 'a TOAST table', S: 'a sequence' };

/** The table a person named (`orders`, `shop.orders`, `"Odd"."Name"`) in this session's database, or a one-line error. */
export async function resolveTable(session: Session, name: string): Promise<RelationRow> {
  let rows: RelationRow[];
  try {
    rows = await session.query<RelationRow>(RELATION_BY_NAME_SQL, [name]);
  } catch (error) {
    // parse_ident: 'string is not a valid identifier: "a..b"'.
    if (error instanceof DoctorError && error.code === 'server-error' && /not a valid identifier|improper qualified name/i.test(error.message)) {
      throw new DoctorError('usage', `--table: "${name}" is not a table name (schema.table, with double quotes around names that need them)`, { cause: error });
    }
    throw error;
  }
  if (rows.length === 0) throw new DoctorError('unknown-relation', `no table "${name}" in database "${session.database}"`);
  if (rows.length > 1) {
    throw new DoctorError('usage', `--table "${name}" is in more than one schema of "${session.database}" (${rows.map((r) => quoteIdent(r.schema)).join(', ')}): qualify it, e.g. ${qualifiedName(rows[0]!)}`);
  }
  const row = rows[0]!;
  if (row.relkind !== 'r' && row.relkind !== 'm') throw new DoctorError('usage', `${qualifiedName(row)} is ${KIND[row.relkind] ?? 'not a table'}, not a table`);
  return row;
}

export function qualifiedName(row: { schema: string; name: string }): string {
  return `${quoteIdent(row.schema)}.${quoteIdent(row.name)}`;
}
