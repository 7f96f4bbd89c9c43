import { quoteIdent } from '@mvcc-doctor/pg/quote';

// Names in the SQL the doctor prints or runs; quoting itself is @mvcc-doctor/pg/quote's, one module for both packages.

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A psql line that switches database before running what follows. */
export function inDatabase(database: string, sql: string): string {
  return `\\connect ${quoteIdent(database)}\n${sql}`;
}
