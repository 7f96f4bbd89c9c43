import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { describeTarget } from '../../connect/conn-options.js';
import { DoctorError } from '../../connect/doctor-error.js';
import { MIGRATIONS } from './schema.js';
import { STORE_SCHEMA, type StorePool } from './store-pool.js';

/** How long a daemon waits for another one that is migrating the same store (migrations take milliseconds). */
const MIGRATION_LOCK_WAIT = '60s';

/**
 * Bring the store's schema to this build's version, in one transaction under an advisory lock: daemons that start
 * together queue here, the first migrates, the others find the versions recorded and apply nothing. Nothing is
 * created that exists already, so a role without CREATE can use a store an administrator set up.
 * Returns the versions applied now.
 */
export async function migrateStore(pool: StorePool): Promise<number[]> {
  const newest = Math.max(...MIGRATIONS.map((m) => m.version));
  const schema = quoteIdent(STORE_SCHEMA);
  return pool.transaction(async (query) => {
    await query(`SET LOCAL lock_timeout = '${MIGRATION_LOCK_WAIT}'`);
    await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${STORE_SCHEMA}.schema_migrations`]);
    const [found] = await query<{ schema: boolean; table: boolean }>(
      'SELECT to_regnamespace($1) IS NOT NULL AS schema, to_regclass($2) IS NOT NULL AS table',
      [schema, `${schema}.schema_migrations`],
    );
    if (!found!.schema) await query(`CREATE SCHEMA ${schema}`);
    // The sessions' search_path names the schema already; SET LOCAL makes it certain for the DDL below.
    await query(`SET LOCAL search_path = ${schema}`);
    if (!found!.table) await query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) {
      throw new DoctorError(
        'usage',
        `the history store ${describeTarget(pool.conn)} has schema version ${Math.max(...unknown)}, newer than this mvcc-doctor knows (${newest}): upgrade mvcc-doctor, or give --store another database`,
      );
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS.filter((m) => !done.has(m.version))) {
      await query(m.sql + (m.postgresql ?? ''));
      await query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
      applied.push(m.version);
    }
    return applied;
  });
}
