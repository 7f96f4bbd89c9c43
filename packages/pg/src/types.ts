/**
 * Structural types for node-postgres: a `pg.Pool` and its clients fit them, and so does anything shaped
 * like them (a wrapped pool, a test double, another driver with the same surface). Nothing here imports
 * `pg`, so the library has no runtime dependency on it.
 */

/** A query given as an object, as node-postgres accepts it. */
export interface QueryConfigLike {
  /** The SQL text. */
  text: string;
  /** Bind parameters ($1, $2, …). */
  values?: unknown[];
  /** A named prepared statement: node-postgres parses it once per connection, so its text must never change. */
  name?: string;
  [option: string]: unknown;
}

/** What a query resolves to (the subset of `pg.QueryResult` the library reads). */
export interface QueryResultLike<Row = Record<string, unknown>> {
  rows: Row[];
  rowCount: number | null;
  /** The command tag's verb: "SELECT", "UPDATE", "COMMIT", or "ROLLBACK" when COMMIT found the transaction aborted. */
  command: string;
}

/** node-postgres' query callback. */
export type QueryCallback = (error: Error | null | undefined, result: QueryResultLike<unknown>) => void;

/** Something that runs queries: a `pg.Client` or `pg.PoolClient`. */
export interface ClientLike {
  /** Called with a callback, node-postgres answers through it (and returns nothing); a promise-only client may ignore it. */
  query(textOrConfig: string | QueryConfigLike, values: unknown[] | undefined, callback: QueryCallback): unknown;
}

/** A client checked out of a pool. */
export interface PoolClientLike extends ClientLike {
  /** Return the client to its pool; a truthy argument destroys it instead. */
  release(destroy?: Error | boolean): void;
  /** The server backend's pid, known after connect (node-postgres sets it from BackendKeyData). */
  processID?: number | null;
  /** node-postgres emits "error" on a checked-out client whose connection dies; unhandled, it would crash the process. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
  /** Close the connection; the server then rolls back whatever the session had open. */
  end?(): unknown;
}

/**
 * One connected client the caller owns, given where a pool is expected: a `pg.Client` (or a pool's client checked out
 * by hand). Told apart from a pool by its `processID` property, which node-postgres clients have and pools do not.
 */
export interface SingleClientLike extends ClientLike {
  processID?: number | null;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
  end?(): unknown;
}

/** A pool of clients: a `pg.Pool`, or anything with the same `connect()`. */
export interface PoolLike {
  connect(): Promise<PoolClientLike>;
  /** Clients open (idle + checked out). pg.Pool has these counters; they make starvation detection possible. */
  readonly totalCount?: number;
  readonly idleCount?: number;
  readonly waitingCount?: number;
  readonly options?: { max?: number };
}

/** An object node-postgres runs itself (a Cursor, a QueryStream): passed through as is. */
export interface Submittable {
  submit: (...args: never[]) => unknown;
}
