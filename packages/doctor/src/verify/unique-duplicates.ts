import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import { duplicateCountSql, duplicateSampleSql, HEAP_ONLY, keyNames } from './duplicate-sql.js';
import { fromTable } from './orphan-sql.js';
import { probe } from './probe.js';
import { inReadOnlyTransaction } from './read-only-transaction.js';
import { readUniqueKeys, withKeyTexts, type UniqueKey } from './unique-keys.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

const TID = /^\(\d+,\d+\)$/;

/**
 * Key values held by more than one row under a unique index or constraint, found by a GROUP BY over the heap
 * with index scans off: a damaged index, or a commit log that revived an aborted insert, lets duplicates in
 * and then hides them from every lookup that trusts the index.
 */
export const uniqueDuplicates: Verification = {
  id: 'unique-duplicates',
  unit: 'unique keys',
  async run(ctx) {
    const outcome = emptyOutcome();
    const keys = await probe(ctx, outcome, 'unique-duplicates', { database: ctx.database }, () => readUniqueKeys(ctx.session, ctx.versionNum, ctx.scope.schema));
    for (const key of keys ?? []) await checkOne(ctx, outcome, key);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, listed: UniqueKey): Promise<void> {
  const subject = { database: ctx.database, schema: listed.schema, table: listed.table, index: listed.index, ...(listed.constraint ? { constraint: listed.constraint } : {}) };
  type Row = Record<string, string> & { n: number; ctids: string[] };
  const probed = await probe(ctx, outcome, 'unique-duplicates', subject, async () => {
    const key = await withKeyTexts(ctx.session, listed);
    return { key, sample: await inReadOnlyTransaction(ctx.session, HEAP_ONLY, () => ctx.session.query<Row>(duplicateSampleSql(key), [ctx.scope.rows])) };
  });
  if (probed === undefined) return;
  const { key, sample } = probed;
  outcome.checked++;
  if (sample.length === 0) return;
  const counted =
    sample.length < ctx.scope.rows
      ? { keys: sample.length, extra: sample.reduce((sum, r) => sum + r.n - 1, 0) }
      : await probe(ctx, outcome, 'unique-duplicates', subject, async () =>
          (await inReadOnlyTransaction(ctx.session, HEAP_ONLY, () => ctx.session.query<{ keys: number; extra: number }>(duplicateCountSql(key))))[0]!,
        );
  const names = keyNames(key);
  const evidence = sample.map((row) => ({ ...Object.fromEntries(names.map((name, i) => [name, row[`k${i + 1}`]])), rows: row.n, ctids: row.ctids }));
  const table = qualified(key.schema, key.table);
  const what = key.constraint ? `constraint ${key.constraint}${key.constraint === key.index ? '' : ` (index ${key.index})`}` : `unique index ${key.index}`;
  const how = counted ? `${formatCount(counted.keys)} key(s) of ${what} are held by more than one row (${formatCount(counted.extra)} row(s) too many)` : `At least ${formatCount(sample.length)} key(s) of ${what} are held by more than one row`;
  // Every copy but the first of each key shown; a partitioned table's ctids carry their partition and are left to the reader.
  const later = sample.flatMap((row) => row.ctids.slice(1)).filter((ctid) => TID.test(ctid));
  outcome.findings.push({
    check: 'unique-duplicates',
    severity: 'critical',
    subject,
    summary: `${how} in ${table}: the index no longer describes the table.`,
    evidence,
    why: 'A unique index refuses a duplicate only at insert time, through the index itself; an index that lost entries (corruption, a crash without WAL) or a commit log that marks an aborted insert committed leaves two live rows with one key.',
    remediation: [
      `-- look at every copy (ctids above) and decide which one the application meant:\nSELECT ctid, * FROM ${fromTable(key.schema, key.table, key.relkind)} WHERE ctid = ANY (${quoteLiteral(`{${sample.flatMap((r) => r.ctids).filter((c) => TID.test(c)).join(',')}}`)}::tid[]);`,
      ...(later.length ? [`-- once reviewed (and merged where other rows reference them), remove the extra copies, e.g. the later ones:\nDELETE FROM ${fromTable(key.schema, key.table, key.relkind)} WHERE ctid = ANY (${quoteLiteral(`{${later.join(',')}}`)}::tid[]);`] : []),
      `-- then rebuild the index from the table (it fails while a duplicate is left):\nREINDEX INDEX CONCURRENTLY ${qualified(key.schema, key.index)};`,
    ],
  });
}
