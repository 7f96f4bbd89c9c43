import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { checksumEvent, clogEvent } from './integrity-events.js';
import { deadlockEvent, lockTimeoutEvent, lockWaitEvent } from './lock-events.js';
import { autovacuumCanceledEvent, autovacuumCancelRequestEvent, vacuumSkippedEvent } from './maintenance-events.js';
import { connectionLostEvent, serializationFailureEvent, statementTimeoutEvent, transactionTimeoutEvent } from './session-events.js';
import { DEFAULT_SLOW_MS, durationEvent, rememberStatement, tempFileEvent } from './statement-events.js';
import type { StatementLane } from './statement-lane.js';
import type { StatementStats } from './statement-stats.js';
import { vacuumReportEvent } from './vacuum-events.js';
import {
  apparentMultixactWraparoundEvent,
  databaseLimitEvent,
  failsafeEvent,
  farInThePastEvent,
  membersLimitEvent,
} from './wraparound-events.js';

export interface ClassifyOptions {
  /** A duration from this many ms is a slow-statement event (--slow). Default 500. */
  slowMs?: number;
  /** Where every duration is aggregated; without it, only slow statements are looked at. */
  stats?: StatementStats;
  /** The lane the records' reader was given: the durations it counted are not counted again. */
  lane?: StatementLane;
}

/**
 * The event a log record is, or undefined. The first character and a startsWith pick the one parser that can
 * apply, so a record that is no event costs a switch and a few string compares; regexes run only on candidates.
 */
export function classifyRecord(record: LogRecord, options: ClassifyOptions = {}): LogEvent | undefined {
  const message = record.message;
  switch (message.charCodeAt(0)) {
    case 100: // d
      if (message.startsWith('duration: ')) return durationEvent(record, options.slowMs ?? DEFAULT_SLOW_MS, options.lane?.counted(record) ? undefined : options.stats);
      if (message.startsWith('deadlock detected')) return deadlockEvent(record);
      if (message.startsWith('database ')) return databaseLimitEvent(record);
      break;
    case 112: // p
      if (message.startsWith('process ')) return lockWaitEvent(record);
      if (message.startsWith('page verification failed')) return checksumEvent(record);
      break;
    case 97: // a
      if (message.startsWith('automatic ')) return vacuumReportEvent(record);
      break;
    case 99: // c
      if (message.startsWith('canceling statement due to ')) {
        if (message.startsWith('lock timeout', 27)) return lockTimeoutEvent(record);
        if (message.startsWith('statement timeout', 27)) return statementTimeoutEvent(record);
        return undefined;
      }
      if (message.startsWith('canceling autovacuum task')) return autovacuumCanceledEvent(record);
      if (message.startsWith('could not serialize access due to ')) return serializationFailureEvent(record);
      if (message.startsWith('could not access status of transaction ')) return clogEvent(record);
      if (message.startsWith('cutoff for ')) return farInThePastEvent(record);
      break;
    case 116: // t
      if (message.startsWith('terminating connection due to ')) {
        if (message.startsWith('idle-in-transaction timeout', 30)) return transactionTimeoutEvent(record, 'idle_in_transaction_session_timeout');
        if (message.startsWith('transaction timeout', 30)) return transactionTimeoutEvent(record, 'transaction_timeout');
        return undefined;
      }
      if (message.startsWith('temporary file: ')) return tempFileEvent(record);
      break;
    case 115: // s
      if (message.startsWith('statement: ')) return remember(record, options);
      if (message.startsWith('skipping ')) return vacuumSkippedEvent(record);
      if (message.startsWith('sending cancel to blocking autovacuum')) return autovacuumCancelRequestEvent(record);
      break;
    case 101: // e
      if (message.startsWith('execute ')) return remember(record, options);
      break;
    case 117: // u
      if (message.startsWith('unexpected EOF on client connection with an open transaction')) return connectionLostEvent(record);
      break;
    case 98: // b
      if (message.startsWith('bypassing nonessential maintenance')) return failsafeEvent(record);
      break;
    case 105: // i
      if (message.startsWith('invalid page') || message.startsWith('ignoring ')) return checksumEvent(record);
      break;
    case 122: // z
      if (message.startsWith('zeroing ')) return checksumEvent(record);
      break;
    case 109: // m
      if (message.startsWith('multixact "members" limit exceeded')) return membersLimitEvent(record);
      break;
    case 111: // o
      if (message.startsWith('oldest ')) return farInThePastEvent(record);
      break;
    case 77: // M
      if (message.startsWith('MultiXactId ')) return apparentMultixactWraparoundEvent(record);
      break;
    default:
      // PG 18's "%u invalid pages among blocks …" starts with the count.
      if (message.charCodeAt(0) >= 48 && message.charCodeAt(0) <= 57 && message.includes(' invalid pages among blocks ')) return checksumEvent(record);
  }
  return bySqlstate(record);
}

function remember(record: LogRecord, options: ClassifyOptions): undefined {
  if (options.stats) rememberStatement(record, options.stats);
  return undefined;
}

/** csvlog and jsonlog carry the SQLSTATE: the classes it names alone still classify a log in another language. */
function bySqlstate(record: LogRecord): LogEvent | undefined {
  switch (record.sqlstate) {
    case '40P01':
      return deadlockEvent(record);
    case '40001':
      return serializationFailureEvent(record);
    case '25P03':
      return transactionTimeoutEvent(record, 'idle_in_transaction_session_timeout');
    case '25P04':
      return transactionTimeoutEvent(record, 'transaction_timeout');
    default:
      return undefined;
  }
}
