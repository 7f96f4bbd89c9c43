import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { objectFromContext } from './context-object.js';
import { parseLockTarget } from './lock-target.js';
import { makeEvent, statementText } from './make-event.js';
import { put } from './numbers.js';
import { splitQualifiedTable } from './relation-name.js';

/**
 * The worker's side: ERROR "canceling autovacuum task", its CONTEXT naming the table ("automatic vacuum of table
 * \"db.s.t\"") or the phase it was in ("while scanning block 123 of relation \"s.t\"", "while truncating …").
 */
export function autovacuumCanceledEvent(record: LogRecord): LogEvent {
  const object = objectFromContext(record.context);
  const fields: Record<string, unknown> = { side: 'worker' };
  let relation = object.relation;
  let database: string | undefined;
  if (object.action?.startsWith('automatic') && relation) ({ database, relation } = splitQualifiedTable(relation));
  // A phase context and the "automatic vacuum of table" line can both be there: the table line is fully qualified.
  const table = record.context ? /automatic (vacuum|analyze) of table "([^"]+)"/.exec(record.context) : null;
  if (table) {
    ({ database, relation } = splitQualifiedTable(table[2] ?? ''));
    fields.operation = table[1];
  }
  put(fields, 'phase', object.action?.startsWith('automatic') ? undefined : object.action);
  put(fields, 'block', object.block);
  put(fields, 'index', object.index);
  return makeEvent(record, 'autovacuum-cancel', {
    summary: `autovacuum${fields.operation === 'analyze' ? ' (analyze)' : ''} of ${relation ?? 'a table'} canceled by a conflicting lock request`,
    fields,
    relation,
    database,
  });
}

/**
 * The requester's side (proc.c): "sending cancel to blocking autovacuum PID %d" with DETAIL "Process %d waits for
 * %s on %s." — logged at LOG before PostgreSQL 9.6's rework and at DEBUG1 since, so only some logs have it.
 */
export function autovacuumCancelRequestEvent(record: LogRecord): LogEvent | undefined {
  const match = /^sending cancel to blocking autovacuum PID (\d+)/.exec(record.message);
  if (!match) return undefined;
  const fields: Record<string, unknown> = { side: 'requester', autovacuum_pid: Number(match[1]) };
  const waits = record.detail ? /Process (\d+) waits for (\S+) on (.+?)\.\s*$/m.exec(record.detail) : null;
  if (waits) Object.assign(fields, { process_pid: Number(waits[1]), lock_mode: waits[2] }, parseLockTarget(waits[3] ?? ''));
  if (record.statement) fields.statement = statementText(record.statement);
  return makeEvent(record, 'autovacuum-cancel', {
    summary: `process ${record.pid ?? '?'} canceled autovacuum worker ${match[1]}${waits ? ` waiting for ${waits[2]}` : ''}`,
    fields,
  });
}

// vacuum.c: "skipping vacuum of \"%s\" --- lock not available" (and analyze), autovacuum's skip-locked path.
const SKIPPED = /^skipping (vacuum|analyze) of "([^"]+)" --- lock not available/;

export function vacuumSkippedEvent(record: LogRecord): LogEvent | undefined {
  const match = SKIPPED.exec(record.message);
  if (!match) return undefined;
  return makeEvent(record, 'vacuum-skipped', {
    summary: `${match[1]} of ${match[2]} skipped: lock not available`,
    fields: { operation: match[1] },
    relation: match[2],
  });
}
