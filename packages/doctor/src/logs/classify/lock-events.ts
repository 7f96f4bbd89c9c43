import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { objectFromContext } from './context-object.js';
import { parseLockTarget, type LockTarget } from './lock-target.js';
import { makeEvent, statementText } from './make-event.js';
import { originOf } from './origin.js';
import { formatMs } from './format.js';
import { pidList, put } from './numbers.js';

// proc.c, ProcSleep with log_lock_waits: "process %d still waiting for %s on %s after %ld.%03d ms" and its
// acquired / avoided deadlock for … by rearranging queue order / detected deadlock while waiting for siblings.
const LOCK_WAIT =
  /^process (\d+) (still waiting for|acquired|avoided deadlock for|detected deadlock while waiting for) (\S+) on (.+?)(?: by rearranging queue order)? after (\d+(?:\.\d+)?) ms/;
const STATES: Record<string, string> = {
  'still waiting for': 'waiting',
  acquired: 'acquired',
  'avoided deadlock for': 'deadlock-avoided',
  'detected deadlock while waiting for': 'deadlock-detected',
};
// "Process(es) holding the lock: %s. Wait queue: %s." (PG 18 also words it with a comma before "Wait queue").
const HOLDERS = /Process(?:es)? holding the lock: ([\d, ]*?)[.,]? Wait queue: ([\d, ]*)/;

export function lockWaitEvent(record: LogRecord): LogEvent | undefined {
  const match = LOCK_WAIT.exec(record.message);
  if (!match) return undefined;
  const state = STATES[match[2] ?? ''] ?? 'waiting';
  const target = parseLockTarget(match[4] ?? '');
  const fields: Record<string, unknown> = { state, process_pid: Number(match[1]), lock_mode: match[3], ...target, after_ms: Number(match[5]) };
  const holders = record.detail ? HOLDERS.exec(record.detail) : null;
  if (holders) {
    fields.holders = pidList(holders[1]);
    fields.queue = pidList(holders[2]);
  }
  const object = objectFromContext(record.context);
  put(fields, 'context_relation', object.relation);
  put(fields, 'context_tuple', object.tuple);
  if (record.statement) fields.statement = statementText(record.statement);
  const on = object.relation ? ` (${object.relation}${object.tuple ? ` tuple ${object.tuple}` : ''})` : '';
  const holderText = Array.isArray(fields.holders) && fields.holders.length > 0 ? `, held by ${(fields.holders as number[]).join(', ')}` : '';
  const verb = state === 'waiting' ? 'still waiting for' : state === 'acquired' ? 'acquired' : state === 'deadlock-avoided' ? 'avoided a deadlock on' : 'detected a deadlock waiting for';
  return makeEvent(record, 'lock-wait', {
    summary: `process ${match[1]} ${verb} ${match[3]} on ${target.lock_object}${on} after ${formatMs(Number(match[5]))}${holderText}`,
    fields,
    relation: object.relation,
  });
}

// deadlock.c, DeadLockReport: the DETAIL (errdetail_log, so only in the server log) has one
// "Process %d waits for %s on %s; blocked by process %d." line per edge of the cycle, then one
// "Process %d: %s" line per process with its current query (which may span lines).
const WAITS = /^Process (\d+) waits for (\S+) on (.+?)(?:; blocked by process (\d+))?\.$/;
const QUERY = /^Process (\d+): ?(.*)$/;

export interface DeadlockProcess extends Partial<LockTarget> {
  pid: number;
  lock_mode?: string;
  blocked_by?: number;
  query?: string;
  origin?: ReturnType<typeof originOf>;
}

export function parseDeadlockDetail(detail: string): DeadlockProcess[] {
  const processes = new Map<number, DeadlockProcess>();
  const get = (pid: number): DeadlockProcess => {
    let entry = processes.get(pid);
    if (!entry) processes.set(pid, (entry = { pid }));
    return entry;
  };
  let open: { entry: DeadlockProcess; lines: string[] } | undefined;
  const close = (): void => {
    if (open) open.entry.query = open.lines.join('\n').trimEnd();
    open = undefined;
  };
  for (const raw of detail.split('\n')) {
    const line = raw.replace(/^\t/, '');
    const trimmed = line.trim();
    const waits = WAITS.exec(trimmed);
    if (waits) {
      close();
      const entry = get(Number(waits[1]));
      Object.assign(entry, { lock_mode: waits[2] }, parseLockTarget(waits[3] ?? ''));
      if (waits[4] !== undefined) entry.blocked_by = Number(waits[4]);
      continue;
    }
    const query = QUERY.exec(trimmed);
    if (query) {
      close();
      open = { entry: get(Number(query[1])), lines: [query[2] ?? ''] };
      continue;
    }
    if (open) open.lines.push(line);
  }
  close();
  return [...processes.values()];
}

export function deadlockEvent(record: LogRecord): LogEvent {
  const processes = parseDeadlockDetail(record.detail ?? '');
  for (const entry of processes) {
    if (entry.query === undefined) continue;
    const origin = originOf(entry.pid === record.pid ? record.application : undefined, [entry.query]);
    entry.query = statementText(entry.query);
    if (origin) entry.origin = origin;
  }
  const object = objectFromContext(record.context);
  const fields: Record<string, unknown> = { processes };
  put(fields, 'relation', object.relation);
  put(fields, 'tuple', object.tuple);
  if (record.statement) fields.statement = statementText(record.statement);
  const pids = processes.map((p) => p.pid);
  const victim = record.pid !== undefined ? ` (process ${record.pid} was canceled)` : '';
  const where = object.relation ? ` on ${object.relation}${object.tuple ? ` tuple ${object.tuple}` : ''}` : '';
  return makeEvent(record, 'deadlock', {
    summary: `deadlock between ${pids.length > 0 ? `processes ${pids.join(', ')}` : 'processes'}${where}${victim}`,
    fields,
    relation: object.relation,
    originTexts: [record.statement, record.query, processes.find((p) => p.pid === record.pid)?.query],
  });
}

/** "canceling statement due to lock timeout" (55P03), with the object from CONTEXT. */
export function lockTimeoutEvent(record: LogRecord): LogEvent {
  const object = objectFromContext(record.context);
  const fields: Record<string, unknown> = {};
  put(fields, 'relation', object.relation);
  put(fields, 'tuple', object.tuple);
  put(fields, 'action', object.action);
  if (record.statement) fields.statement = statementText(record.statement);
  const where = object.relation ? ` while ${object.action ?? 'waiting'} on ${object.relation}${object.tuple ? ` tuple ${object.tuple}` : ''}` : '';
  return makeEvent(record, 'lock-timeout', { summary: `statement canceled by lock_timeout${where}`, fields, relation: object.relation });
}
