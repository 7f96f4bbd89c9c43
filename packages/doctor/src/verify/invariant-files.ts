import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DoctorError } from '../connect/doctor-error.js';

/** A user invariant: one read-only query whose rows are the violations (none when the data is whole). */
export interface Invariant {
  /** The file name, e.g. "balances.sql"; how findings name it. */
  name: string;
  sql: string;
}

/** Every `.sql` file of `dir`, by name, read before any connection so a typo costs nothing. */
export function loadInvariants(dir: string): Invariant[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new DoctorError('unreadable', `--invariants ${dir} is not a directory`);
    names = readdirSync(dir).filter((name) => name.endsWith('.sql')).sort();
  } catch (error) {
    if (error instanceof DoctorError) throw error;
    throw new DoctorError('unreadable', `cannot read --invariants ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (names.length === 0) throw new DoctorError('usage', `--invariants ${dir} holds no .sql file (one query per file, returning the rows that break the rule)`);
  return names.map((name) => {
    const sql = readFileSync(join(dir, name), 'utf8');
    if (!stripInvariant(sql)) throw new DoctorError('usage', `invariant ${name} is empty`);
    return { name, sql };
  });
}

/** The query without the trailing semicolons and blank space an editor leaves, so it can be nested. */
export function stripInvariant(sql: string): string {
  return sql.replace(/^\uFEFF/, '').replace(/[\s;]+$/, '');
}
