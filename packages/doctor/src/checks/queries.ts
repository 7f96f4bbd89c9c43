import type { StatementRow, StatementsRead } from '../collect/statements-dataset.js';
import type { Snapshot } from '../collect/snapshot.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft, Origin } from '../engine/finding.js';
import { originOf } from '../logs/classify/origin.js';
import { formatCount, formatDuration } from '../report/format.js';

/** Statements listed in the "most time" finding. */
const TOP = 10;
/** A slow statement that ran this often is a pattern (warning), not a one-off (info). */
const RECURRING_CALLS = 10;

export default defineCheck({
  id: 'queries',
  meta: {
    title: 'Statements that take the most time (pg_stat_statements)',
    area: 'queries',
    why: 'A slow statement holds its snapshot, and in a transaction its locks, for as long as it runs: it keeps the xmin horizon back and makes others wait. The statements that take the most time in total are where tuning pays most.',
    description:
      'Reads pg_stat_statements (cluster-wide, from any database where the extension is created; only top-level statements on 1.9+, and never our own) and reports each statement whose mean execution time reaches queryMeanMs, and, once queryTotalSeconds of execution are recorded, the ten statements that took the most time in total: calls, rows, mean and total time, share of all time, shared blocks hit and read, temp blocks, and the application code when the statement text carries a sqlcommenter or marginalia comment. Skipped, with the reason, when the extension is not loaded or not created. Statements that failed (40001 serialization failures, 40P01 deadlocks) are not in pg_stat_statements: see rollbacks and deadlocks.',
    severities: { warning: `a statement averaging queryMeanMs or more over at least ${RECURRING_CALLS} calls`, info: 'a slower one-off statement, or the busiest statements once enough time is recorded' },
    thresholds: ['queryMeanMs', 'queryTotalSeconds'],
    settings: ['shared_preload_libraries', 'pg_stat_statements.track'],
    remediation: 'EXPLAIN (ANALYZE, BUFFERS) the statement with real parameters; add the index or rewrite the query it shows; a statement writing temp blocks needs more work_mem or less data to sort.',
  },
  uses: ['statements'],
  skip(snapshot) {
    if (statementsRead(snapshot)) return undefined;
    const reads = Object.values(snapshot.statements ?? {}).flat();
    const failed = reads.find((r) => r.error);
    if (failed) return `pg_stat_statements could not be read: ${failed.error}`;
    const preload = reads[0]?.preload ?? '';
    if (!/(^|,)\s*pg_stat_statements\s*(,|$)/.test(preload)) {
      return 'pg_stat_statements is not loaded: add it to shared_preload_libraries (a restart), then CREATE EXTENSION pg_stat_statements';
    }
    return 'pg_stat_statements is loaded but created in no database examined: CREATE EXTENSION pg_stat_statements (in any one database)';
  },
  evaluate(snapshot, { thresholds }) {
    const read = statementsRead(snapshot);
    if (!read) return [];
    const findings: FindingDraft[] = [];
    const slow = read.statements.filter((s) => s.mean_ms >= thresholds.queryMeanMs).sort((a, b) => b.mean_ms - a.mean_ms);
    for (const s of slow) {
      const origin = originOf(undefined, [s.query]);
      const finding: FindingDraft = {
        severity: s.calls >= RECURRING_CALLS ? 'warning' : 'info',
        subject: s.database ? { database: s.database } : {},
        summary: `A statement${s.database ? ` in "${s.database}"` : ''} takes ${formatMs(s.mean_ms)} on average over ${countText(s.calls, 'call')} (${formatMs(s.total_ms)} in total)${origin?.origin ? `, sent from ${origin.origin}` : ''}: ${short(s.query)}`,
        evidence: [statementEvidence(s, read)],
        remediation: [`EXPLAIN (ANALYZE, BUFFERS) ${withoutComments(s.query)};  -- with real values for $1, $2 …, in "${s.database ?? 'its database'}"`],
      };
      if (origin) finding.origin = origin;
      findings.push(finding);
    }
    if (read.total_ms >= thresholds.queryTotalSeconds * 1000 && read.statements.length > 0) {
      const top = [...read.statements].sort((a, b) => b.total_ms - a.total_ms).slice(0, TOP);
      const first = top[0]!;
      const origin = originOf(undefined, [first.query]);
      const finding: FindingDraft = {
        severity: 'info',
        subject: {},
        summary: `The busiest statement took ${share(first.total_ms, read.total_ms)} of the ${formatMs(read.total_ms)} of execution pg_stat_statements recorded (${countText(read.entries, 'statement')}, ${countText(read.total_calls, 'call')})${origin?.origin ? `, sent from ${origin.origin}` : ''}: ${short(first.query)}`,
        evidence: top.map((s) => statementEvidence(s, read)),
        remediation: ['-- the top of this list is where tuning pays most: EXPLAIN (ANALYZE, BUFFERS) each with real values', `SELECT ${read.schema ? `${read.schema}.` : ''}pg_stat_statements_reset();  -- to measure afresh after a change (needs superuser or a GRANT)`],
      };
      if (origin) finding.origin = origin;
      findings.push(finding);
    }
    return findings;
  },
});

/** The first database whose pg_stat_statements could be read: every one shows the same, cluster-wide. */
export function statementsRead(snapshot: Snapshot): StatementsRead | undefined {
  const entries = Object.entries(snapshot.statements ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([, reads]) => reads[0]).find((r): r is StatementsRead => r !== undefined && r.schema !== null && r.error === undefined);
}

function statementEvidence(s: StatementRow, read: StatementsRead): Record<string, unknown> {
  const origin = originOf(undefined, [s.query]);
  const row: Record<string, unknown> = {
    query: s.query,
    database: s.database,
    user: s.user,
    calls: s.calls,
    rows: s.rows,
    mean_ms: round(s.mean_ms),
    total_ms: round(s.total_ms),
    share_of_time: share(s.total_ms, read.total_ms),
    shared_blks_hit: s.shared_blks_hit,
    shared_blks_read: s.shared_blks_read,
    temp_blks_read: s.temp_blks_read,
    temp_blks_written: s.temp_blks_written,
    code: origin ? codeText(origin) : undefined,
  };
  for (const key of Object.keys(row)) if (row[key] === undefined || row[key] === null) delete row[key];
  return row;
}

function codeText(o: Origin): string {
  return [o.origin, o.app && `app ${o.app}`, o.route && `route ${o.route}`].filter(Boolean).join(', ');
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms / 1000);
}

function share(part: number, whole: number): string {
  return `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;
}

function round(ms: number): number {
  return Number(ms.toFixed(ms < 10 ? 2 : 0));
}

function countText(n: number, what: string): string {
  return `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;
}

function withoutComments(query: string): string {
  return query.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\s+/g, ' ').trim();
}

function short(query: string): string {
  const flat = withoutComments(query);
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
