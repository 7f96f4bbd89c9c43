import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import { qualified } from '../report/sql-text.js';
import { schemaFilter } from './catalog-scope.js';
import { fromTable } from './orphan-sql.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

/** Sequences owned by a column: serial (pg_depend "a", auto) and identity ("i", internal), on integer columns. */
const OWNED_SQL = `
SELECT sn.nspname::text AS seq_schema, s.relname::text AS seq_name, tn.nspname::text AS schema, t.relname::text AS table,
       t.relkind::text AS relkind, a.attname::text AS column, d.deptype = 'i' AS identity, sq.seqincrement::text AS increment
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_sequence sq ON sq.seqrelid = s.oid
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_class t ON t.oid = d.refobjid
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
   AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
   AND t.relkind IN ('r', 'p') AND t.relpersistence <> 't' AND ${schemaFilter('tn.nspname', '$1')}
 ORDER BY 3, 4, 6`;

interface Owned {
  seq_schema: string;
  seq_name: string;
  schema: string;
  table: string;
  relkind: string;
  column: string;
  identity: boolean;
  increment: string;
}

/**
 * A sequence whose next value is at or below its column's maximum (minimum, for a descending one): after a
 * restore of the table without its sequence, or a lost commit log, the next insert hits a duplicate key.
 */
export const sequenceBehind: Verification = {
  id: 'sequence-behind',
  unit: 'sequences',
  async run(ctx) {
    const outcome = emptyOutcome();
    const owned = await probe(ctx, outcome, 'sequence-behind', { database: ctx.database }, () => ctx.session.query<Owned>(OWNED_SQL, [ctx.scope.schema ?? null]));
    for (const seq of owned ?? []) await checkOne(ctx, outcome, seq);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, seq: Owned): Promise<void> {
  const sequence = qualified(seq.seq_schema, seq.seq_name);
  const subject = { database: ctx.database, schema: seq.schema, table: seq.table, sequence: `${seq.seq_schema}.${seq.seq_name}` };
  const ascending = BigInt(seq.increment) > 0n;
  const state = await probe(ctx, outcome, 'sequence-behind', subject, async () => {
    const [s] = await ctx.session.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text AS last_value, is_called FROM ${sequence}`);
    const [m] = await ctx.session.query<{ edge: string | null }>(`SELECT ${ascending ? 'max' : 'min'}(${quoteIdent(seq.column)})::text AS edge FROM ${fromTable(seq.schema, seq.table, seq.relkind)}`);
    return { ...s!, edge: m!.edge };
  });
  if (!state) return;
  outcome.checked++;
  if (state.edge === null || /\./.test(state.edge)) return; // an empty table, or a numeric column holding fractions: nothing to collide with
  const increment = BigInt(seq.increment);
  const last = BigInt(state.last_value);
  const next = state.is_called ? last + increment : last;
  const edge = BigInt(state.edge);
  if (ascending ? next > edge : next < edge) return;
  const table = qualified(seq.schema, seq.table);
  outcome.findings.push({
    check: 'sequence-behind',
    severity: 'warning',
    subject,
    summary: `Sequence ${sequence} would hand out ${next} next, but ${table}.${quoteIdent(seq.column)} already holds ${ascending ? 'up to' : 'down to'} ${edge}: the next insert that takes its default can fail with a duplicate key.`,
    evidence: [{ sequence: `${seq.seq_schema}.${seq.seq_name}`, kind: seq.identity ? 'identity' : 'serial', last_value: state.last_value, is_called: state.is_called, increment: seq.increment, next_value: next.toString(), [`column_${ascending ? 'max' : 'min'}`]: state.edge }],
    why: 'Sequences are not transactional and are not part of the table: a restore of the rows without the sequence, a setval, or a lost commit log can leave the sequence behind the values already stored.',
    remediation: [
      `SELECT setval(${quoteLiteral(sequence)}, (SELECT ${ascending ? 'max' : 'min'}(${quoteIdent(seq.column)}) FROM ${table}));`,
    ],
  });
}
