import { TransactionControlError, TransactionEndedError, TransactionKilledError } from './errors.js';
import type { Lease } from './lease.js';
import type { QueryConfigLike, QueryResultLike, Submittable } from './types.js';

// Statements that would end or restart the transaction behind the library's back (ROLLBACK TO SAVEPOINT is fine).
const CONTROL = /^\s*(begin|start\s+transaction|commit|end|abort|rollback(?!\s+to\b)|prepare\s+transaction)\b/i;

let internals: {
  lease(client: TransactionClient): Lease;
  tagging(client: TransactionClient): Tagging;
  end(client: TransactionClient): void;
  is(value: unknown): value is TransactionClient;
};

/** The lease under a transaction client. */
export const leaseOf = (client: TransactionClient): Lease => internals.lease(client);
/** The tagging a transaction client applies. */
export const taggingOf = (client: TransactionClient): Tagging => internals.tagging(client);
/** Refuse every further query on this client. */
export const endClient = (client: TransactionClient): void => internals.end(client);
/** Whether `value` is a transaction client (then withTransaction makes a savepoint). */
export const isTransactionClient = (value: unknown): value is TransactionClient => internals.is(value);

/** How statements are tagged: the comment and where it goes. */
export interface Tagging {
  readonly comment: string;
  readonly position: 'prepend' | 'append' | false;
}

/**
 * The client `withTransaction` hands to its callback: `query()` like node-postgres (text or config, promise), each
 * statement tagged, and refused once the transaction (or savepoint) has ended. Pass it to `withTransaction` for a
 * savepoint.
 */
export class TransactionClient {
  #ended = false;
  readonly #lease: Lease;
  readonly #tagging: Tagging;

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

  /** True once the transaction or savepoint ended: every further query is refused. */
  get ended(): boolean {
    return this.#ended || this.#lease.isReleased || this.#lease.killedBecause !== undefined;
  }

  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResultLike<R>>;
  query<R = Record<string, unknown>>(config: QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<R>>;
  query<S extends Submittable>(submittable: S): S;
  query(query: string | QueryConfigLike | Submittable, values?: unknown[]): unknown {
    if (this.ended) {
      const error = this.refusal();
      if (typeof (query as Submittable).submit === 'function') throw error;
      return Promise.reject(error);
    }
    if (typeof query === 'string') {
      if (CONTROL.test(query)) return Promise.reject(new TransactionControlError(query.trim().slice(0, 40)));
      return this.#lease.run(tag(query, this.#tagging), values);
    }
    if (typeof (query as Submittable).submit === 'function') {
      // A Cursor or QueryStream: node-postgres drives it; it runs untagged.
      return (this.#lease.client.query as unknown as (q: Submittable) => Submittable)(query as Submittable);
    }
    const config = query as QueryConfigLike;
    if (CONTROL.test(config.text)) return Promise.reject(new TransactionControlError(config.text.trim().slice(0, 40)));
    // A named prepared statement is parsed once per connection: its text must not change, so it goes untagged
    // (application_name still names the transaction). Always a copy: older node-postgres versions write the callback
    // into the config object they are given, which would break the caller's next promise-style use of it.
    const tagged = config.name ? { ...config } : { ...config, text: tag(config.text, this.#tagging) };
    return this.#lease.run(tagged, values);
  }

  static {
    // Library-internal access without a public member: the callback cannot reach the lease or end the client.
    internals = {
      lease: (client) => client.#lease,
      tagging: (client) => client.#tagging,
      end: (client) => {
        client.#ended = true;
      },
      is: (value): value is TransactionClient => typeof value === 'object' && value !== null && #lease in value,
    };
  }

  private refusal(): Error {
    const lease = this.#lease;
    return lease.killedBecause ? new TransactionKilledError(lease.opening.origin, lease.killedBecause) : new TransactionEndedError(lease.opening.origin);
  }
}

/** Add the comment, unless the statement already carries one at that end (an ORM's own sqlcommenter). */
export function tag(text: string, tagging: Tagging): string {
  const { comment, position } = tagging;
  if (!position || comment === '') return text;
  if (position === 'prepend') return text.startsWith('/*') ? text : `${comment} ${text}`;
  // A newline, so a trailing "-- comment" cannot swallow ours.
  return text.trimEnd().endsWith('*/') ? text : `${text}\n${comment}`;
}
