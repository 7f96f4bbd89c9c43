import { quoteLiteral } from './quote.js';

/** The isolation levels PostgreSQL knows (read uncommitted behaves as read committed). */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable' | 'read uncommitted';

/** How a transaction begins. */
export interface BeginOptions {
  /** Default: the session's default_transaction_isolation (normally read committed). */
  isolationLevel?: IsolationLevel;
  /** READ ONLY (true) or READ WRITE (false); default: the session's default. */
  readOnly?: boolean;
  /** DEFERRABLE: a serializable read-only transaction waits for a safe snapshot and then cannot fail with 40001. */
  deferrable?: boolean;
  /** SET LOCAL statement_timeout, in ms, for this transaction only. */
  statementTimeout?: number;
  /** SET LOCAL lock_timeout, in ms, for this transaction only. */
  lockTimeout?: number;
  /** SET LOCAL idle_in_transaction_session_timeout, in ms: the server ends the session if the transaction idles longer. */
  idleInTransactionSessionTimeout?: number;
}

/** Whether any BEGIN option is given (else the BEGIN is the same for every transaction of a call site). */
export function hasBeginOptions(options: BeginOptions): boolean {
  return (
    options.isolationLevel !== undefined ||
    options.readOnly !== undefined ||
    options.deferrable !== undefined ||
    options.statementTimeout !== undefined ||
    options.lockTimeout !== undefined ||
    options.idleInTransactionSessionTimeout !== undefined
  );
}

const LEVELS = new Set<string>(['read committed', 'repeatable read', 'serializable', 'read uncommitted']);

/**
 * One simple-protocol query string: BEGIN with its modes, then the SET LOCALs, so the tag and the timeouts cost no
 * round trip of their own. `applicationName` is the tag (undefined: not set).
 */
export function beginSql(options: BeginOptions, applicationName: string | undefined): string {
  let sql = 'BEGIN';
  if (options.isolationLevel !== undefined) {
    const level = options.isolationLevel.toLowerCase();
    if (!LEVELS.has(level)) throw new TypeError(`unknown isolation level ${JSON.stringify(options.isolationLevel)}`);
    sql += ` ISOLATION LEVEL ${level.toUpperCase()}`;
  }
  if (options.readOnly !== undefined) sql += options.readOnly ? ' READ ONLY' : ' READ WRITE';
  if (options.deferrable !== undefined) sql += options.deferrable ? ' DEFERRABLE' : ' NOT DEFERRABLE';
  if (applicationName !== undefined) sql += `; SET LOCAL application_name = ${quoteLiteral(applicationName)}`;
  sql += setMs('statement_timeout', options.statementTimeout);
  sql += setMs('lock_timeout', options.lockTimeout);
  sql += setMs('idle_in_transaction_session_timeout', options.idleInTransactionSessionTimeout);
  return sql;
}

function setMs(name: string, value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer of milliseconds`);
  return `; SET LOCAL ${name} = ${value}`;
}
