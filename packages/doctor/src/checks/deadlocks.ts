import type { ServerLogRead } from '../collect/server-log.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft, Origin } from '../engine/finding.js';
import type { DeadlockProcess } from '../logs/classify/lock-events.js';
import type { LogEvent } from '../logs/log-event.js';
import { formatCount } from '../report/format.js';

/** Deadlocks shown in full per database; the rest are counted (the JSON has them all in the log, not here). */
const SHOWN = 5;

export default defineCheck({
  id: 'deadlocks',
  meta: {
    title: 'Deadlocks',
    area: 'locks',
    why: 'Two transactions that lock the same rows in opposite order wait for each other until deadlock_timeout, when PostgreSQL cancels one with SQLSTATE 40P01. The fix is a fixed lock order in the application and a retry of the victim.',
    description:
      'Reads pg_stat_database.deadlocks per database, since its statistics were last reset. When a database counts any and the role may read the server log (superuser, or pg_read_server_files with EXECUTE on pg_read_binary_file; logging_collector on), the last 16 MB of the current log file are read with the log library of `mvcc-doctor logs`: each deadlock since --since (default: the last 24 hours) with its processes, the lock each waited for and who blocked it, their queries, which one was canceled, and the application code that sent them (sqlcommenter or marginalia comments, application_name tags). Otherwise the log is reported as skipped, with what the role needs.',
    severities: { warning: '100 deadlocks or more', info: 'at least one deadlock' },
    remediation: 'Lock rows in one order in the application (ORDER BY key FOR UPDATE) and retry 40P01; the processes, queries and code of each deadlock are in the finding when the server log is readable, else in the log (mvcc-doctor logs).',
  },
  uses: ['databases'],
  evaluate(snapshot) {
    const findings: FindingDraft[] = [];
    const counting = (snapshot.databases ?? []).filter((db) => (db.deadlocks ?? 0) > 0);
    for (const db of counting) {
      const count = db.deadlocks ?? 0;
      const log = snapshot.serverLog;
      // A log without %d (and no lock naming its database) still belongs to the only database that counts any.
      const events = log ? log.deadlocks.filter((e) => e.database === db.datname || (!e.database && counting.length === 1)) : [];
      const finding: FindingDraft = {
        severity: count >= 100 ? 'warning' : 'info',
        subject: { database: db.datname },
        summary: `Database "${db.datname}" has had ${formatCount(count)} deadlock(s) since its statistics were reset.${log ? ` ${logSummary(events, log)}` : ''}`,
        evidence: [{ database: db.datname, deadlocks: count, xact_commit: db.xact_commit, xact_rollback: db.xact_rollback }, ...events.slice(-SHOWN).reverse().flatMap(processRows)],
        remediation: [
          log
            ? `-- every deadlock in the log, with the code that sent each query: mvcc-doctor logs ${log.file}`
            : '-- the queries of each deadlock are only in the server log: mvcc-doctor logs <postgresql.log> (or run check as a role that may read it)',
          '-- in the application: lock rows in one order (ORDER BY key FOR UPDATE) and retry 40P01 (see @mvcc-doctor/pg)',
        ],
      };
      const origin = originOfLatest(events);
      if (origin) finding.origin = origin;
      findings.push(finding);
    }
    return findings;
  },
});

function logSummary(events: LogEvent[], log: ServerLogRead): string {
  const since = new Date(log.since).toISOString();
  if (events.length === 0) return `The server log shows none since ${since} (they are older, or in a rotated file).`;
  const last = events[events.length - 1]!;
  const processes = (last.fields.processes as DeadlockProcess[] | undefined) ?? [];
  const between = processes.map((p) => `process ${p.pid}${p.query ? ` (${short(p.query)})` : ''}`).join(' and ');
  const canceled = last.pid !== undefined ? `; process ${last.pid} was canceled` : '';
  return `The server log shows ${events.length} since ${since}; the last${last.time ? `, at ${new Date(last.time).toISOString()},` : ''} was between ${between || 'processes'}${last.relation ? ` on ${last.relation}` : ''}${canceled}.`;
}

/** One evidence row per process of a deadlock: the lock it waited for, who held it, its query and code. */
function processRows(event: LogEvent): Record<string, unknown>[] {
  const processes = (event.fields.processes as DeadlockProcess[] | undefined) ?? [];
  return processes.map((p) => {
    const row: Record<string, unknown> = {
      deadlock_at: event.time !== undefined ? new Date(event.time).toISOString() : 'unknown (no time in the log prefix)',
      pid: p.pid,
      canceled: p.pid === event.pid,
      waited_for: p.lock_mode ? `${p.lock_mode} on ${p.lock_object ?? p.lock_type}` : undefined,
      blocked_by: p.blocked_by,
      relation: event.relation,
      query: p.query,
      code: p.origin ? [p.origin.origin, p.origin.app && `app ${p.origin.app}`, p.origin.route && `route ${p.origin.route}`].filter(Boolean).join(', ') : undefined,
    };
    for (const key of Object.keys(row)) if (row[key] === undefined) delete row[key];
    return row;
  });
}

/** The code of the last deadlock: the canceled process's when it is tagged, else any tagged process's. */
function originOfLatest(events: LogEvent[]): Origin | undefined {
  const last = events[events.length - 1];
  if (!last) return undefined;
  const processes = (last.fields.processes as DeadlockProcess[] | undefined) ?? [];
  return processes.find((p) => p.pid === last.pid && p.origin)?.origin ?? processes.find((p) => p.origin)?.origin ?? last.origin;
}

/** A query for the one-line summary: its comments left out (the code they name is in the evidence). */
function short(query: string): string {
  const flat = query.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}
