/** Stable codes of the library's own errors (never a 5-character SQLSTATE, so they cannot be confused with one). */
export type MvccPgErrorCode =
  | 'TRANSACTION_ENDED'
  | 'TRANSACTION_CONTROL_REFUSED'
  | 'TRANSACTION_KILLED'
  | 'COMMIT_OUTCOME_UNKNOWN'
  | 'COMMIT_ROLLED_BACK'
  | 'POOL_STARVATION'
  | 'NOT_A_POOL'
  | 'INVALID_OPTION'
  | 'TRANSACTION_BUSY'
  | 'CLIENT_BUSY'
  | 'CONNECTION_LOST'
  | 'AFTER_COMMIT_FAILED';

/** Base class: every error the library makes has a stable `code` and, when there is one, the underlying error as `cause`. */
export class MvccPgError extends Error {
  constructor(
    readonly code: MvccPgErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The transaction client was used after its transaction (or savepoint) ended. */
export class TransactionEndedError extends MvccPgError {
  constructor(origin: string) {
    super('TRANSACTION_ENDED', `this transaction (opened at ${origin}) has ended; its client can no longer be used`);
  }
}

/**
 * Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, …) sent through a transaction client: the library owns the
 * transaction's boundaries. Nothing of the query was sent. The message names the statement's keywords and its place,
 * never the query text (it may hold data or secrets).
 */
export class TransactionControlError extends MvccPgError {
  constructor(
    /** The refused statement's leading keywords, upper case, e.g. "COMMIT" or "PREPARE TRANSACTION". */
    readonly statement: string,
    /** Its place among the query's statements (1-based), and how many there are. */
    readonly position: { index: number; of: number } = { index: 1, of: 1 },
  ) {
    const where = position.of > 1 ? ` (statement ${position.index} of ${position.of} in the query)` : '';
    super(
      'TRANSACTION_CONTROL_REFUSED',
      `${statement}${where} refused, nothing was sent: withTransaction() begins, commits and rolls back; nest withTransaction() for a savepoint`,
    );
  }
}

/** An option or argument of a public function is unknown, of the wrong type or out of range. Nothing was done. */
export class InvalidOptionError extends MvccPgError {
  constructor(
    /** The function, e.g. "withTransaction()". */
    readonly where: string,
    /** The option's path ("retry.maxAttempts") or the argument's name ("pool", "fn"). */
    readonly option: string,
    /** What was given, described (strings and numbers shown, objects only by their kind, so no secret leaks). */
    readonly received: string,
    /** What is accepted. */
    readonly expected: string,
    kind: 'option' | 'argument' = 'option',
  ) {
    super('INVALID_OPTION', `${where}: ${kind} ${option} ${expected}; got ${received}`);
  }
}

/** The transaction client was used while one of its savepoints (a nested withTransaction) was open. */
export class TransactionBusyError extends MvccPgError {
  constructor(origin: string, what: string) {
    super(
      'TRANSACTION_BUSY',
      `${what} refused: a savepoint of the transaction opened at ${origin} is open; use the savepoint's client (its callback's argument), or await the savepoint first`,
    );
  }
}

/** A single pg.Client given to withTransaction() while it already runs a transaction: one client, one transaction at a time. */
export class ClientBusyError extends MvccPgError {
  constructor(holderOrigin: string) {
    super(
      'CLIENT_BUSY',
      `this pg.Client already runs the transaction opened at ${holderOrigin}: a single client runs one transaction at a time (use a pg.Pool for concurrent work)`,
    );
  }
}

/**
 * The connection of an open transaction (or checked-out client) was lost between statements: terminated by the server
 * (pg_terminate_backend, 57P01; a shutdown, 57P02/57P03; idle_in_transaction_session_timeout, 25P03) or cut by the
 * network. The server has rolled the transaction back. `sqlstate` is the server's code when it sent one.
 */
export class ConnectionLostError extends MvccPgError {
  readonly sqlstate: string | undefined;
  constructor(
    readonly origin: string,
    readonly backendPid: number | undefined,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | null)?.code;
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'CONNECTION_LOST',
      `the connection of the transaction opened at ${origin} (backend pid ${backendPid ?? 'unknown'}) was lost while idle, and the server rolled it back: ` +
        `${reason} (${sqlstate ? `SQLSTATE ${sqlstate}` : 'no server code: the network or the server went away'})`,
      { cause },
    );
    this.sqlstate = sqlstate;
  }
}

/** The transaction committed, then an afterCommit hook threw. The commit stands: do not run the transaction again. */
export class AfterCommitError extends MvccPgError {
  constructor(
    origin: string,
    /** What the transaction's callback returned. */
    readonly value: unknown,
    /** Every hook error, in hook order (the first is also `cause`). */
    readonly errors: unknown[],
  ) {
    super('AFTER_COMMIT_FAILED', `the transaction opened at ${origin} committed, then ${errors.length} afterCommit hook(s) failed: the commit stands`, {
      cause: errors[0],
    });
  }
}

/** The watchdog or a crash handler rolled the transaction back by closing its connection. */
export class TransactionKilledError extends MvccPgError {
  constructor(origin: string, reason: string) {
    super('TRANSACTION_KILLED', `the transaction opened at ${origin} was rolled back: ${reason}`);
  }
}

/**
 * The connection was lost while COMMIT was in flight: the transaction may or may not have committed.
 * Never retried automatically; the caller must find out (e.g. by an idempotency key) before doing it again.
 */
export class CommitOutcomeUnknownError extends MvccPgError {
  constructor(
    readonly origin: string,
    readonly backendPid: number | undefined,
    cause: unknown,
  ) {
    super('COMMIT_OUTCOME_UNKNOWN', `connection lost during COMMIT of the transaction opened at ${origin}: it may or may not have committed`, {
      cause,
    });
  }
}

/** COMMIT answered ROLLBACK: a statement had failed and the callback caught the error instead of letting it through. */
export class TransactionRolledBackError extends MvccPgError {
  constructor(origin: string, cause: unknown) {
    super('COMMIT_ROLLED_BACK', `COMMIT of the transaction opened at ${origin} rolled back: an earlier statement failed and its error was caught`, {
      cause,
    });
  }
}

/** Who holds a client while waiting for another one. */
export interface PoolHolder {
  /** Backend pid of the held client. */
  backendPid: number | undefined;
  /** file:line that checked the client out. */
  origin: string;
  /** The stack that checked the client out. */
  stack: string;
}

/** Every client of the pool is held by work that itself waits for the pool: nobody can ever proceed. */
export class PoolStarvationError extends MvccPgError {
  constructor(
    readonly holders: PoolHolder[],
    readonly waiterOrigin: string,
  ) {
    super(
      'POOL_STARVATION',
      `pool deadlock: all ${holders.length} clients are held by callers that wait for another client of the same pool ` +
        `(this request from ${waiterOrigin}); holders: ${holders.map((h) => h.origin).join(', ')}`,
    );
  }
}
