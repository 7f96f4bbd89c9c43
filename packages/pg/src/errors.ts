/** Stable codes of the library's own errors (never a 5-character SQLSTATE, so they cannot be confused with one). */
export type MvccPgErrorCode =
  | 'TRANSACTION_ENDED'
  | 'TRANSACTION_CONTROL_REFUSED'
  | 'TRANSACTION_KILLED'
  | 'COMMIT_OUTCOME_UNKNOWN'
  | 'COMMIT_ROLLED_BACK'
  | 'POOL_STARVATION'
  | 'NOT_A_POOL';

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

/** A BEGIN/COMMIT/ROLLBACK sent through a transaction client: the library owns the transaction's boundaries. */
export class TransactionControlError extends MvccPgError {
  constructor(statement: string) {
    super('TRANSACTION_CONTROL_REFUSED', `"${statement}" refused: withTransaction() begins, commits and rolls back; nest withTransaction() for a savepoint`);
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
