import { ConnectionLostError, TransactionBusyError, TransactionEndedError, TransactionKilledError } from './errors.js';
import type { Lease } from './lease.js';
import { transactionControl } from './transaction-control.js';
import type { QueryConfigLike, QueryResultLike, Submittable } from './types.js';

/** Library-side state of a transaction client's savepoints. */
interface Savepoints {
  /** The savepoint of this client now open (its child client): this client refuses use meanwhile. */
  open: TransactionClient | undefined;
  /** Settles when the last savepoint requested on this client is done: the next one waits for it (serialised). */
  queue: Promise<void> | undefined;
}

let internals: {
  lease(client: TransactionClient): Lease;
  tagging(client: TransactionClient): Tagging;
  end(client: TransactionClient): void;
  is(value: unknown): value is TransactionClient;
  savepoints(client: TransactionClient): Savepoints;
  pending(client: TransactionClient): boolean;
  refusal(client: TransactionClient, what: string): Error | undefined;
};

/** The lease under a transaction client. */
export const leaseOf = (client: TransactionClient): Lease => internals.lease(client);
/** The tagging a transaction client applies. */
export const taggingOf = (client: TransactionClient): Tagging => internals.tagging(client);
/** Refuse every further query on this client (and on its open savepoints). */
export const endClient = (client: TransactionClient): void => internals.end(client);
/** Whether `value` is a transaction client (then withTransaction makes a savepoint). */
export const isTransactionClient = (value: unknown): value is TransactionClient => internals.is(value);
/** The savepoint bookkeeping of a transaction client. */
export const savepointsOf = (client: TransactionClient): Savepoints => internals.savepoints(client);
/** Whether a savepoint of this client is open or waiting to open. */
export const savepointPending = (client: TransactionClient): boolean => internals.pending(client);
/** Why the client cannot be used now (ended, killed, connection lost, a savepoint open), or undefined. */
export const refusalOf = (client: TransactionClient, what: string): Error | undefined => internals.refusal(client, what);

/** How statements are tagged: the comment and where it goes. */
export interface Tagging {
  readonly comment: string;
  readonly position: 'prepend' | 'append' | false;
  /**
   * Statement texts the guard let through, tagged, when this tagging is shared by a call site's transactions: the
   * next transaction sends them with no lexing and no new string. Bounded (see `remember`).
   */
  statements?: Map<string, string>;
  /**
   * The call site's record that it sent a statement no comment can go on (a named prepared statement, a Cursor, a
   * stream): its next transactions set application_name, so that pg_stat_activity names them whatever they sent last.
   */
  site?: { sentUntagged: boolean };
}

// What a call site keeps: its handful of fixed statements. Dynamic SQL (literals in the text) is not kept past this.
const KEPT_STATEMENTS = 16;
const KEPT_LENGTH = 512;

/**
 * The client `withTransaction` hands to its callback: `query()` like node-postgres (text or config, promise), each
 * statement tagged, and refused once the transaction (or savepoint) has ended. Pass it to `withTransaction` for a
 * savepoint.
 */
export class TransactionClient {
  #ended = false;
  readonly #lease: Lease;
  readonly #tagging: Tagging;
  #savepoints: Savepoints | undefined;

  /** @internal */
  constructor(
    lease: Lease,
    tagging: Tagging,
    /** Savepoint nesting depth: 0 for the transaction itself. */
    readonly depth: number,
  ) {
    this.#lease = lease;
    this.#tagging = tagging;
  }

  /** The server backend's pid (pg_stat_activity.pid), known with no query. */
  get backendPid(): number | undefined {
    return this.#lease.backendPid;
  }

  /** file:line that opened the transaction. */
  get origin(): string {
    return this.#lease.opening.origin;
  }

  /** True once the transaction or savepoint ended (or its connection was lost): every further query is refused. */
  get ended(): boolean {
    const lease = this.#lease;
    return this.#ended || lease.isReleased || lease.killedBecause !== undefined || lease.connectionError !== undefined;
  }

  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResultLike<R>>;
  query<R = Record<string, unknown>>(config: QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<R>>;
  query<S extends Submittable>(submittable: S): S;
  query(query: string | QueryConfigLike | Submittable, values?: unknown[]): unknown {
    if (typeof query === 'string') {
      // Sent before at this call site: it passed the guard then (the guard reads nothing but the text).
      const known = this.#tagging.statements?.get(query);
      if (known !== undefined) {
        const refused = this.#refusal('query()');
        return refused === undefined ? this.#lease.run(known, values) : Promise.reject(refused);
      }
    }
    const submittable = typeof (query as Submittable | null)?.submit === 'function';
    const refused = this.#refusal('query()') ?? transactionControl(textOf(query, submittable));
    if (refused !== undefined) {
      if (submittable) throw refused;
      return Promise.reject(refused);
    }
    if (typeof query === 'string') return this.#lease.run(remember(this.#tagging, query), values);
    if (submittable) {
      // A Cursor or QueryStream: node-postgres drives it; it runs untagged.
      this.#sentUntagged();
      return (this.#lease.client.query as unknown as (q: Submittable) => Submittable)(query as Submittable);
    }
    const config = query as QueryConfigLike;
    // A named prepared statement is parsed once per connection: its text must not change, so it goes untagged
    // (application_name names the call site's next transactions). Always a copy: older node-postgres versions write
    // the callback into the config object they are given, which would break the caller's next promise-style use.
    if (config.name) this.#sentUntagged();
    const tagged = config.name ? { ...config } : { ...config, text: tag(config.text, this.#tagging) };
    return this.#lease.run(tagged, values);
  }

  #sentUntagged(): void {
    const site = this.#tagging.site;
    if (site !== undefined && this.#tagging.position) site.sentUntagged = true;
  }

  static {
    // Library-internal access without a public member: the callback cannot reach the lease or end the client.
    internals = {
      lease: (client) => client.#lease,
      tagging: (client) => client.#tagging,
      end: (client) => {
        client.#ended = true;
        // A savepoint still open under it ends too: nothing it sends may reach the connection after COMMIT or ROLLBACK.
        const open = client.#savepoints?.open;
        if (open !== undefined) internals.end(open);
      },
      // instanceof first: a pool (the common argument) is told apart by one cached check, not a private-brand miss.
      is: (value): value is TransactionClient => value instanceof TransactionClient && #lease in value,
      savepoints: (client) => (client.#savepoints ??= { open: undefined, queue: undefined }),
      pending: (client) => client.#savepoints !== undefined && (client.#savepoints.open !== undefined || client.#savepoints.queue !== undefined),
      refusal: (client, what) => client.#refusal(what),
    };
  }

  /** Why this client cannot run anything now; undefined (the common case, four field reads) when it can. */
  #refusal(what: string): Error | undefined {
    const lease = this.#lease;
    if (!this.#ended && !lease.isReleased && lease.killedBecause === undefined && lease.connectionError === undefined && this.#savepoints?.open === undefined) {
      return undefined;
    }
    const origin = lease.opening.origin;
    if (lease.killedBecause !== undefined) return new TransactionKilledError(origin, lease.killedBecause);
    if (this.#ended || lease.isReleased) return new TransactionEndedError(origin);
    if (lease.connectionError !== undefined) return new ConnectionLostError(origin, lease.backendPid, lease.connectionError);
    return new TransactionBusyError(origin, what);
  }
}

/** The SQL a query would send: its text, a config's text, or a Cursor's (a QueryStream holds one). */
function textOf(query: string | QueryConfigLike | Submittable, submittable: boolean): string {
  if (typeof query === 'string') return query;
  const text = submittable ? ((query as { text?: unknown }).text ?? (query as { cursor?: { text?: unknown } }).cursor?.text) : (query as QueryConfigLike)?.text;
  return typeof text === 'string' ? text : '';
}

/** A statement the guard let through, tagged, and kept for the call site's next transactions while there is room. */
function remember(tagging: Tagging, text: string): string {
  const tagged = tag(text, tagging);
  const kept = tagging.statements;
  if (kept !== undefined && kept.size < KEPT_STATEMENTS && text.length <= KEPT_LENGTH) kept.set(text, tagged);
  return tagged;
}

/** Add the comment, unless the statement already carries one at that end (an ORM's own sqlcommenter). */
export function tag(text: string, tagging: Tagging): string {
  const { comment, position } = tagging;
  // Not text: node-postgres reports what is wrong with it.
  if (!position || comment === '' || typeof text !== 'string') return text;
  if (position === 'prepend') return text.startsWith('/*') ? text : `${comment} ${text}`;
  // A newline, so a trailing "-- comment" cannot swallow ours.
  return text.trimEnd().endsWith('*/') ? text : `${text}\n${comment}`;
}
