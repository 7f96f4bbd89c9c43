import type { ServerLogRead } from '../collect/server-log.js';
import type { TransactionsRow } from '../collect/transactions-dataset.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft, Origin } from '../engine/finding.js';
import type { LogEvent } from '../logs/log-event.js';
import { formatCount } from '../report/format.js';

/** Too few rollbacks say nothing about a rate. */
const MIN_ROLLBACKS = 1000;
/** Half the transactions failing is an application fault whatever the threshold. */
const WARNING_SHARE = 0.5;
/** Failing statements shown from the log. */
const SHOWN = 5;

export default defineCheck({
  id: 'rollbacks',
  meta: {
    title: 'Rollback and serialization-failure rates',
    area: 'queries',
    why: 'Every rolled-back transaction did its work, left its dead tuples and its XID behind for nothing; a high rate is usually failing statements retried (serialization failures 40001, deadlocks 40P01, lock or statement timeouts) or a client that ends its transactions with ROLLBACK. PostgreSQL counts rollbacks per database, but not why: serialization failures are counted nowhere but the server log.',
    description:
      'Reads pg_stat_database per database: commits, rollbacks (their share and, since stats_reset, their rate per second), deadlocks, queries canceled by recovery conflicts, and on 14+ sessions abandoned, ended by a FATAL error or killed. Reports a database whose rollbacks reach rollbackPercent of its transactions (and at least 1,000). When the role may read the server log, the serialization failures (40001) in its last 16 MB since --since are counted, with their statements and application code; otherwise the finding says they are not measurable here.',
    severities: { warning: 'half or more of the transactions roll back', info: 'rollbacks reach rollbackPercent of the transactions' },
    thresholds: ['rollbackPercent'],
    remediation: 'Find which statements fail (the server log: 40001, 40P01, timeouts), retry serialization failures and deadlocks in the application, and make read-only transactions end with COMMIT if the client ends them with ROLLBACK.',
  },
  uses: ['transactions'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const db of snapshot.transactions ?? []) {
      const rollbacks = db.xact_rollback ?? 0;
      const total = rollbacks + (db.xact_commit ?? 0);
      if (rollbacks < MIN_ROLLBACKS || total === 0) continue;
      const share = rollbacks / total;
      if (share * 100 < thresholds.rollbackPercent) continue;
      const failures = snapshot.serverLog?.serialization_failures.filter((e) => e.database === db.datname) ?? [];
      const finding: FindingDraft = {
        severity: share >= WARNING_SHARE ? 'warning' : 'info',
        subject: { database: db.datname },
        summary: `${Math.round(share * 100)}% of the transactions in "${db.datname}" roll back (${formatCount(rollbacks)} of ${formatCount(total)} ${db.stats_reset ? `since ${db.stats_reset.toISOString()}` : 'since its statistics began'}${rate(db)}). ${logText(failures, snapshot.serverLog)}`,
        evidence: [evidence(db, share, snapshot.serverLog ? failures.length : undefined), ...failingStatements(failures)],
        remediation: [
          snapshot.serverLog
            ? `-- every failure with its statement and code: mvcc-doctor logs ${snapshot.serverLog.file}`
            : '-- which statements fail is only in the server log (ERROR … 40001 / 40P01 / 57014): mvcc-doctor logs <postgresql.log>',
          '-- retry 40001 and 40P01 in the application, whole transaction (see @mvcc-doctor/pg withTransaction)',
          '-- a client that ends read-only transactions with ROLLBACK counts here too: harmless, but it hides real failures',
        ],
      };
      const origin = commonOrigin(failures);
      if (origin) finding.origin = origin;
      findings.push(finding);
    }
    return findings;
  },
});

function rate(db: TransactionsRow): string {
  if (db.seconds === null || db.seconds <= 0) return '';
  const perSecond = (db.xact_rollback ?? 0) / db.seconds;
  return `, ${perSecond >= 10 ? formatCount(perSecond) : perSecond.toFixed(2)}/s`;
}

function logText(failures: LogEvent[], log: ServerLogRead | undefined): string {
  if (!log) return 'PostgreSQL does not count serialization failures (40001): they are among these rollbacks, named only in the server log, which this role could not read.';
  const since = new Date(log.since).toISOString();
  if (failures.length === 0) return `The server log shows no serialization failure since ${since}.`;
  return `The server log shows ${formatCount(failures.length)} serialization failure(s) (40001) since ${since}.`;
}

function evidence(db: TransactionsRow, share: number, failures: number | undefined): Record<string, unknown> {
  const row: Record<string, unknown> = {
    database: db.datname,
    xact_commit: db.xact_commit,
    xact_rollback: db.xact_rollback,
    rollback_percent: Number((share * 100).toFixed(1)),
    rollbacks_per_second: db.seconds ? Number(((db.xact_rollback ?? 0) / db.seconds).toFixed(3)) : undefined,
    stats_reset: db.stats_reset?.toISOString() ?? null,
    deadlocks: db.deadlocks,
    recovery_conflicts: db.conflicts,
    sessions: db.sessions,
    sessions_abandoned: db.sessions_abandoned,
    sessions_fatal: db.sessions_fatal,
    sessions_killed: db.sessions_killed,
    serialization_failures_in_log: failures,
  };
  for (const key of Object.keys(row)) if (row[key] === undefined || (row[key] === null && key.startsWith('sessions'))) delete row[key];
  return row;
}

/** The statements that failed most often, from the log, with the code that sent them. */
function failingStatements(failures: LogEvent[]): Record<string, unknown>[] {
  const byStatement = new Map<string, { count: number; last: LogEvent }>();
  for (const event of failures) {
    const key = String(event.fields.statement ?? '(no STATEMENT line: log_min_error_statement is above ERROR)');
    const entry = byStatement.get(key);
    if (entry) {
      entry.count++;
      entry.last = event;
    } else byStatement.set(key, { count: 1, last: event });
  }
  return [...byStatement.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, SHOWN)
    .map(([statement, { count, last }]) => {
      const row: Record<string, unknown> = { failed_statement: statement, failures: count, reason: last.fields.reason, last_at: last.time !== undefined ? new Date(last.time).toISOString() : undefined };
      if (last.origin) row.code = [last.origin.origin, last.origin.app && `app ${last.origin.app}`, last.origin.route && `route ${last.origin.route}`].filter(Boolean).join(', ');
      for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
      return row;
    });
}

/** The code behind most failures, when the statements carry it. */
function commonOrigin(failures: LogEvent[]): Origin | undefined {
  const counts = new Map<string, { n: number; origin: Origin }>();
  for (const e of failures) {
    if (!e.origin) continue;
    const key = JSON.stringify(e.origin);
    const entry = counts.get(key) ?? { n: 0, origin: e.origin };
    entry.n++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.origin;
}
