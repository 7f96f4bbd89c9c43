import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import type { ForeignKey } from './foreign-keys.js';
import { orphanCountSql, orphanDeleteText, orphanSampleSql, orphanSelectText } from './orphan-sql.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

const WHY =
  'Foreign keys are enforced by triggers when a row is written, never afterwards: rows written under session_replication_role = replica, with the RI triggers disabled, or before a NOT VALID constraint, were never checked. A missing parent (lost to corruption or a bad commit log) orphans its children the same way.';

/**
 * Per foreign key, a read-only anti-join for the rows that reference nothing: first a sample (LIMIT, so a
 * table full of orphans answers at once), then, only if the sample is full, a count. Both are bounded by
 * statement_timeout; an anti-join that does not finish is reported as not finished, never as clean.
 */
export const orphanRows: Verification = {
  id: 'orphan-rows',
  unit: 'foreign keys',
  async run(ctx) {
    const outcome = emptyOutcome();
    const keys = await probe(ctx, outcome, 'orphan-rows', { database: ctx.database }, () => ctx.foreignKeys());
    for (const fk of keys ?? []) await checkOne(ctx, outcome, fk);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, fk: ForeignKey): Promise<void> {
  const subject = { database: ctx.database, schema: fk.childSchema, table: fk.childTable, constraint: fk.name };
  const sample = await probe(ctx, outcome, 'orphan-rows', subject, () => ctx.session.query<Record<string, string>>(orphanSampleSql(fk), [ctx.scope.rows]));
  if (sample === undefined) return;
  outcome.checked++;
  if (sample.length === 0) return;
  // A short sample is the whole answer; a full one needs the count, which may not finish where the sample did.
  const counted = sample.length < ctx.scope.rows ? sample.length : await probe(ctx, outcome, 'orphan-rows', subject, async () => (await ctx.session.query<{ n: number }>(orphanCountSql(fk)))[0]!.n);
  const child = qualified(fk.childSchema, fk.childTable);
  const parent = qualified(fk.parentSchema, fk.parentTable);
  const how = counted === undefined ? `At least ${formatCount(sample.length)}` : formatCount(counted);
  outcome.findings.push({
    check: 'orphan-rows',
    severity: 'critical',
    subject,
    summary: `${how} row(s) of ${child} reference no row of ${parent} (${fk.name}: ${fk.definition}).`,
    evidence: sample,
    why: WHY,
    remediation: [
      `-- the orphans, to compare with the application's records or a backup:\n${orphanSelectText(fk)}`,
      `-- restore the missing ${parent} rows (from a backup, or the standby that still has them), or, once reviewed, remove the orphans:\n${orphanDeleteText(fk)}`,
      ...(fk.validated ? [] : [`ALTER TABLE ${child} VALIDATE CONSTRAINT ${quoteIdent(fk.name)};  -- once no orphan is left`]),
    ],
  });
}
