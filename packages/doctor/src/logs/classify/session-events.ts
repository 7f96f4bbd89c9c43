import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { objectFromContext } from './context-object.js';
import { makeEvent, statementText } from './make-event.js';
import { put } from './numbers.js';

/** "canceling statement due to statement timeout" (57014; user cancels share the code, not the words). */
export function statementTimeoutEvent(record: LogRecord): LogEvent {
  const fields: Record<string, unknown> = {};
  if (record.statement) fields.statement = statementText(record.statement);
  const object = objectFromContext(record.context);
  put(fields, 'relation', object.relation);
  return makeEvent(record, 'statement-timeout', { summary: 'statement canceled by statement_timeout', fields, relation: object.relation });
}

/**
 * FATAL "terminating connection due to idle-in-transaction timeout" (25P03), and PG 17's transaction_timeout
 * ("… due to transaction timeout", 25P04): both end a transaction that held its snapshot and locks too long, so
 * they share the class; `setting` says which limit fired.
 */
export function transactionTimeoutEvent(record: LogRecord, setting: 'idle_in_transaction_session_timeout' | 'transaction_timeout'): LogEvent {
  const text = setting === 'transaction_timeout' ? 'transaction_timeout' : 'idle_in_transaction_session_timeout';
  return makeEvent(record, 'idle-in-transaction-timeout', {
    summary: `session terminated by ${text}${record.application ? ` (application ${record.application})` : ''}`,
    fields: { setting },
  });
}

// heapam.c (RR/serializable: "… due to concurrent update|delete") and predicate.c (SSI: "… due to read/write
// dependencies among transactions"), all SQLSTATE 40001.
const SERIALIZE = /^could not serialize access due to (.+?)\s*$/;

export function serializationFailureEvent(record: LogRecord): LogEvent {
  const match = SERIALIZE.exec(record.message);
  const reason = match?.[1] ?? 'serialization failure';
  const fields: Record<string, unknown> = { reason, isolation: reason.startsWith('read/write dependencies') ? 'serializable' : 'repeatable read or serializable' };
  const code = record.detail ? /Reason code: (.+?)\.?$/m.exec(record.detail) : null;
  put(fields, 'reason_code', code?.[1]);
  if (record.statement) fields.statement = statementText(record.statement);
  return makeEvent(record, 'serialization-failure', { summary: `serialization failure (${reason})`, fields });
}

/** "unexpected EOF on client connection with an open transaction": the client went away mid-transaction. */
export function connectionLostEvent(record: LogRecord): LogEvent {
  return makeEvent(record, 'connection-lost-in-transaction', {
    summary: `client disconnected with an open transaction${record.application ? ` (application ${record.application})` : ''}`,
    fields: {},
  });
}
