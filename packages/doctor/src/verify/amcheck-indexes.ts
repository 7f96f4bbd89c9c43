import { qualified } from '../report/sql-text.js';
import { pgErrorOf } from '../connect/pg-error.js';
import { DoctorError } from '../connect/doctor-error.js';
import { amcheckAccess } from './amcheck-access.js';
import { storageScope } from './amcheck-scope.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

interface IndexRow {
  oid: number;
  schema: string;
  index: string;
  table_schema: string;
  table: string;
  usable: boolean;
  owner: string | null;
}

/** Every B-tree index with storage (partitioned indexes have none; each partition's is checked). */
function indexesSql(): string {
  const scope = storageScope('t', '$1');
  return `
SELECT ic.oid, ni.nspname::text AS schema, ic.relname::text AS index, n.nspname::text AS table_schema, t.relname::text AS table,
       i.indisvalid AND i.indisready AS usable,
       CASE WHEN owner.oid IS NULL THEN NULL ELSE format('%I.%I', own.nspname, owner.relname) END AS owner
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace ni ON ni.oid = ic.relnamespace
  JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
  JOIN pg_class t ON t.oid = i.indrelid
  ${scope.joins}
 WHERE ic.relkind = 'i' AND ${scope.where}
 ORDER BY 4, 5, 3`;
}

/** A server error of class XX: amcheck found the damage it looks for (or tripped over it reading). */
export function isCorruption(error: unknown): boolean {
  return error instanceof DoctorError && /^XX/.test(pgErrorOf(error).code ?? '');
}

/**
 * amcheck's bt_index_check on every B-tree index: AccessShareLock only (runs beside writes and on a standby),
 * one index per statement. With heapallindexed it also proves every heap row has its index entry.
 */
export const indexCorruption: Verification = {
  id: 'index-corruption',
  unit: 'B-tree indexes',
  async run(ctx) {
    const outcome = emptyOutcome();
    const access = await probe(ctx, outcome, 'index-corruption', { database: ctx.database }, () => amcheckAccess(ctx.session, ctx.database, ctx.versionNum));
    if (!access) return outcome;
    if (!access.installed || access.indexBlocked) {
      outcome.skipped.push({ verification: 'index-corruption', subject: { database: ctx.database }, reason: access.installed ? (access.indexBlocked ?? '') : access.reason });
      return outcome;
    }
    const indexes = await probe(ctx, outcome, 'index-corruption', { database: ctx.database }, () => ctx.session.query<IndexRow>(indexesSql(), [ctx.scope.schema ?? null]));
    for (const index of indexes ?? []) await checkOne(ctx, outcome, access.schema, index);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, amcheck: string, index: IndexRow): Promise<void> {
  const subject = { database: ctx.database, schema: index.table_schema, table: index.table, index: index.index };
  const name = qualified(index.schema, index.index);
  if (!index.usable) {
    outcome.skipped.push({ verification: 'index-corruption', subject, reason: `${name} is not valid (a failed CREATE INDEX CONCURRENTLY?): amcheck cannot check it; drop it or REINDEX it` });
    return;
  }
  let damage: string | undefined;
  const done = await probe(ctx, outcome, 'index-corruption', subject, async () => {
    try {
      await ctx.session.query(`SELECT ${amcheck}.bt_index_check($1::oid::regclass, $2::boolean)`, [index.oid, ctx.scope.heapallindexed]);
    } catch (error) {
      if (!isCorruption(error)) throw error;
      const pg = pgErrorOf(error);
      damage = `${pg.code} ${pg.message}`;
    }
    return true;
  });
  if (!done) return;
  outcome.checked++;
  if (damage === undefined) return;
  const table = qualified(index.table_schema, index.table);
  // System catalogs cannot be reindexed concurrently; everything else can, without blocking writes.
  const concurrently = index.schema === 'pg_catalog' ? '' : ' CONCURRENTLY';
  outcome.findings.push({
    check: 'index-corruption',
    severity: 'critical',
    subject,
    summary: `Index ${name} on ${table}${index.owner ? ` (TOAST of ${index.owner})` : ''} is corrupt: amcheck's bt_index_check says "${damage.replace(/^\S+ /, '')}".`,
    evidence: [{ index: `${index.schema}.${index.index}`, table: `${index.table_schema}.${index.table}`, heapallindexed: ctx.scope.heapallindexed, error: damage }],
    why: 'A damaged B-tree answers lookups wrongly without any error: rows go missing from index scans, and a unique index stops refusing duplicates.',
    remediation: [
      `-- unique-duplicates (in this report) shows whether duplicates got in; they must go before a unique index can be rebuilt:\nREINDEX INDEX${concurrently} ${name};`,
      `-- if the table itself is damaged too (heap-corruption), find its bad blocks first: mvcc-doctor corruption scan --table '${table.replace(/'/g, "'\\''")}'`,
    ],
  });
}
