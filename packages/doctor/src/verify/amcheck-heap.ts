import { pgErrorOf } from '../connect/pg-error.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import { amcheckAccess } from './amcheck-access.js';
import { isCorruption } from './amcheck-indexes.js';
import { storageScope } from './amcheck-scope.js';
import { blocksNamed } from './heap-error-blocks.js';
import { classifyFailure, probe } from './probe.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

/** Corrupt tuples kept per relation as evidence (verify_heapam returns one row per problem). */
const TUPLES_KEPT = 100;

interface RelationRow {
  oid: number;
  schema: string;
  relation: string;
  owner: string | null;
}

function relationsSql(): string {
  const scope = storageScope('c', '$1');
  return `
SELECT c.oid, n.nspname::text AS schema, c.relname::text AS relation,
       CASE WHEN owner.oid IS NULL THEN NULL ELSE format('%I.%I', own.nspname, owner.relname) END AS owner
  FROM pg_class c
  ${scope.joins}
 WHERE c.relkind IN ('r', 'm', 't') AND ${scope.where}
 ORDER BY 2, 3`;
}

interface TupleProblem {
  blkno: number;
  offnum: number | null;
  attnum: number | null;
  msg: string;
}

/**
 * amcheck's verify_heapam (14+) on every table, in chunks of blocks: it aborts on a page it cannot read, so a
 * chunk that fails is recorded (down to the block the error names) and the next chunk goes on.
 */
export const heapCorruption: Verification = {
  id: 'heap-corruption',
  unit: 'tables',
  async run(ctx) {
    const outcome = emptyOutcome();
    const access = await probe(ctx, outcome, 'heap-corruption', { database: ctx.database }, () => amcheckAccess(ctx.session, ctx.database, ctx.versionNum));
    if (!access) return outcome;
    if (!access.installed || access.heapBlocked) {
      outcome.skipped.push({ verification: 'heap-corruption', subject: { database: ctx.database }, reason: access.installed ? (access.heapBlocked ?? '') : access.reason });
      return outcome;
    }
    const relations = await probe(ctx, outcome, 'heap-corruption', { database: ctx.database }, () => ctx.session.query<RelationRow>(relationsSql(), [ctx.scope.schema ?? null]));
    for (const relation of relations ?? []) await checkOne(ctx, outcome, access.schema, relation);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, amcheck: string, rel: RelationRow): Promise<void> {
  const subject = { database: ctx.database, schema: rel.schema, table: rel.relation };
  // Sized one relation at a time: pg_relation_size takes a lock, and a table someone holds must cost only itself.
  const size = await probe(ctx, outcome, 'heap-corruption', subject, () =>
    ctx.session.query<{ blocks: number }>(`SELECT pg_relation_size($1::oid) / current_setting('block_size')::int AS blocks`, [rel.oid]),
  );
  if (!size) return;
  const blocks = size[0]!.blocks;
  const bad: { first: number; last: number; error: string }[] = [];
  const tuples: TupleProblem[] = [];
  let tupleCount = 0;
  let start = 0;
  while (start < blocks) {
    const end = Math.min(start + ctx.scope.heapChunkBlocks, blocks) - 1;
    try {
      const rows = await ctx.session.query<TupleProblem>(
        `SELECT blkno, offnum, attnum, msg FROM ${amcheck}.verify_heapam($1::oid::regclass, false, false, 'none', $2::bigint, $3::bigint) LIMIT $4`,
        [rel.oid, start, end, TUPLES_KEPT],
      );
      tupleCount += rows.length;
      tuples.push(...rows.slice(0, TUPLES_KEPT - tuples.length));
      start = end + 1;
    } catch (error) {
      if (!isCorruption(error)) {
        const failure = classifyFailure(error, ctx);
        outcome[failure.kind].push({ verification: 'heap-corruption', subject, reason: start > 0 ? `${failure.reason} (checked blocks 0..${start - 1} of ${blocks})` : failure.reason });
        return;
      }
      const pg = pgErrorOf(error);
      const named = blocksNamed(pg.message);
      const range = named && named.first >= start && named.last <= end ? named : { first: start, last: end };
      bad.push({ ...range, error: `${pg.code} ${pg.message}` });
      start = range.last + 1;
    }
  }
  outcome.checked++;
  if (bad.length === 0 && tupleCount === 0) return;
  const name = qualified(rel.schema, rel.relation);
  const badBlocks = bad.reduce((sum, b) => sum + b.last - b.first + 1, 0);
  const parts = [badBlocks && `${formatCount(badBlocks)} unreadable block(s)`, tupleCount && `${tupleCount >= TUPLES_KEPT ? 'at least ' : ''}${formatCount(tupleCount)} corrupt tuple(s)`].filter(Boolean);
  const table = rel.owner ?? name;
  outcome.findings.push({
    check: 'heap-corruption',
    severity: 'critical',
    subject,
    summary: `${name}${rel.owner ? ` (TOAST of ${rel.owner})` : ''} has ${parts.join(' and ')}: amcheck's verify_heapam could not read or trust them.`,
    evidence: [
      ...bad.map((b) => ({ blocks: b.first === b.last ? String(b.first) : `${b.first}..${b.last}`, error: b.error })),
      ...tuples.map((t) => ({ block: t.blkno, offset: t.offnum, attribute: t.attnum, problem: t.msg })),
    ],
    why: 'A damaged heap page fails every statement that reads it, VACUUM FREEZE included, so the table cannot be frozen; corrupt tuples can make rows vanish or reappear.',
    remediation: [
      `mvcc-doctor corruption scan --table '${table.replace(/'/g, "'\\''")}'  -- every bad block and the rows around it`,
      `mvcc-doctor corruption salvage plan --table '${table.replace(/'/g, "'\\''")}' --into <new table>  -- copy every readable row, then swap`,
    ],
  });
}
