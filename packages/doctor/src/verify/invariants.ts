import { formatCount } from '../report/format.js';
import { stripInvariant, type Invariant } from './invariant-files.js';
import { probe } from './probe.js';
import { inReadOnlyTransaction } from './read-only-transaction.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

/** A column name no user query is expected to use; it carries the total beside the first rows. */
const TOTAL = 'mvcc_doctor_violations';

/**
 * The user's query as a subquery, so the file can hold one query only (a second statement is a syntax error,
 * not a second command), with the number of all its rows beside the first `$1`. The newline before the closing
 * parenthesis keeps a trailing -- comment from swallowing it.
 */
export function invariantSql(sql: string): string {
  return `SELECT *, count(*) OVER () AS ${TOTAL} FROM (\n${stripInvariant(sql)}\n) AS invariant LIMIT $1`;
}

/** Each invariant in a READ ONLY transaction with statement_timeout; its rows are violations. */
export const invariantViolated: Verification = {
  id: 'invariant-violated',
  unit: 'invariants',
  async run(ctx) {
    const outcome = emptyOutcome();
    for (const invariant of ctx.scope.invariants) await checkOne(ctx, outcome, invariant);
    return outcome;
  },
};

async function checkOne(ctx: VerifyContext, outcome: VerifyOutcome, invariant: Invariant): Promise<void> {
  const subject = { database: ctx.database, file: invariant.name };
  const settings = { statement_timeout: `${ctx.scope.statementTimeoutMs}ms` };
  const rows = await probe(ctx, outcome, 'invariant-violated', subject, () =>
    inReadOnlyTransaction(ctx.session, settings, () => ctx.session.query<Record<string, unknown>>(invariantSql(invariant.sql), [ctx.scope.rows])),
  );
  if (rows === undefined) return;
  outcome.checked++;
  if (rows.length === 0) return;
  const total = Number(rows[0]![TOTAL]);
  outcome.findings.push({
    check: 'invariant-violated',
    severity: 'critical',
    subject,
    summary: `Invariant ${invariant.name} is violated: ${formatCount(total)} row(s) break it.`,
    evidence: rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== TOTAL))),
    why: 'An invariant the application keeps across tables is enforced by no constraint: a lost commit, a revived aborted transaction or a partial restore breaks it silently.',
    remediation: [`-- the rows, in full (${invariant.name}):\n${stripInvariant(invariant.sql)};`, '-- repair them from the application\'s records or a backup, then run verify again'],
  });
}
