import { quoteIdent } from '@mvcc-doctor/pg/quote';
import type { Session } from '../connect/safe-session.js';

/** Where amcheck is and what this role may run of it; verify never creates the extension itself. */
export type AmcheckAccess =
  | { installed: false; reason: string }
  | {
      installed: true;
      /** The extension's schema, quoted, to call its functions whatever the search_path. */
      schema: string;
      version: string;
      /** Why bt_index_check cannot run, or undefined when it can. */
      indexBlocked?: string;
      /** Why verify_heapam cannot run (absent before 14 / amcheck 1.3, or not permitted), or undefined. */
      heapBlocked?: string;
    };

const ACCESS_SQL = `
SELECT n.nspname::text AS schema, e.extversion AS version, current_user::text AS role,
       (SELECT bool_or(has_function_privilege(p.oid, 'EXECUTE')) FROM pg_proc p WHERE p.pronamespace = e.extnamespace AND p.proname = 'bt_index_check' AND p.pronargs >= 2) AS index_ok,
       (SELECT bool_or(has_function_privilege(p.oid, 'EXECUTE')) FROM pg_proc p WHERE p.pronamespace = e.extnamespace AND p.proname = 'verify_heapam') AS heap_ok
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'amcheck'`;

export async function amcheckAccess(session: Session, database: string, versionNum: number): Promise<AmcheckAccess> {
  const [row] = await session.query<{ schema: string; version: string; role: string; index_ok: boolean | null; heap_ok: boolean | null }>(ACCESS_SQL);
  if (!row) return { installed: false, reason: `needs amcheck (CREATE EXTENSION amcheck in database "${database}"; verify never creates it)` };
  const schema = quoteIdent(row.schema);
  const grant = (fn: string) => `needs EXECUTE on ${fn} (GRANT EXECUTE ON FUNCTION ${fn} TO ${quoteIdent(row.role)}), or a superuser`;
  const heapBlocked =
    row.heap_ok === null
      ? versionNum >= 140000
        ? `verify_heapam needs amcheck 1.3 (installed: ${row.version}; ALTER EXTENSION amcheck UPDATE)`
        : 'verify_heapam needs PostgreSQL 14 or later'
      : row.heap_ok
        ? undefined
        : grant(`${schema}.verify_heapam(regclass, boolean, boolean, text, bigint, bigint)`);
  return {
    installed: true,
    schema,
    version: row.version,
    indexBlocked: row.index_ok ? undefined : grant(`${schema}.bt_index_check(regclass, boolean)`),
    heapBlocked,
  };
}
