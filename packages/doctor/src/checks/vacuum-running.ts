import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatDuration } from '../report/format.js';

export default defineCheck({
  id: 'vacuum-running',
  meta: {
    title: 'Vacuums in progress',
    area: 'vacuum',
    why: 'An anti-wraparound autovacuum cannot be skipped and does not yield its lock; if it waits on a lock or crawls under cost limits, the database keeps ageing. Its progress shows whether freezing will finish in time.',
    description: 'Reads pg_stat_progress_vacuum joined to pg_stat_activity: every VACUUM and autovacuum in progress, its phase and progress, and whether it waits on a lock or a buffer pin.',
    severities: { warning: 'waiting on a lock or a buffer pin, or an anti-wraparound autovacuum running over an hour', info: 'running' },
    remediation: 'Let it finish; end what it waits for (lock-blocking names the holder); lower autovacuum_vacuum_cost_delay to speed it up.',
  },
  uses: ['vacuumProgress'],
  evaluate(snapshot) {
    const findings: FindingDraft[] = [];
    for (const v of snapshot.vacuumProgress ?? []) {
      const wraparound = /to prevent wraparound/i.test(v.query ?? '');
      // A lock it cannot get, or a buffer pin an open cursor keeps (an aggressive VACUUM waits for cleanup locks).
      const waiting = v.wait_event_type === 'Lock' || v.wait_event_type === 'BufferPin';
      const done = v.heap_blks_total > 0 ? Math.round((100 * v.heap_blks_scanned) / v.heap_blks_total) : 0;
      findings.push({
        severity: waiting || (wraparound && (v.seconds ?? 0) > 3600) ? 'warning' : 'info',
        subject: { database: v.datname, table: v.relation, pid: v.pid },
        summary: `${v.backend_type === 'autovacuum worker' ? 'Autovacuum' : 'VACUUM'}${wraparound ? ' (anti-wraparound)' : ''} of ${v.relation} in "${v.datname}" is ${done}% through (${v.phase})${v.seconds !== null ? ` after ${formatDuration(v.seconds)}` : ''}${waiting ? `, waiting on ${v.wait_event_type === 'BufferPin' ? 'a buffer pin' : `a ${v.wait_event} lock`}` : ''}.`,
        evidence: [{ ...v }],
        remediation: waiting
          ? v.wait_event_type === 'BufferPin'
            ? ['-- a session keeps a page of this table pinned (an open cursor, or a client that stopped fetching): see long-transaction and idle-in-transaction, end it']
            : ['-- find who holds the lock it waits for: mvcc-doctor check shows it under lock-blocking', `SELECT pg_blocking_pids(${v.pid});`]
          : ['-- let it finish; to speed it up: ALTER SYSTEM SET autovacuum_vacuum_cost_delay = 0; SELECT pg_reload_conf();'],
      });
    }
    return findings;
  },
});
