import type { CompiledQuery, DatabaseConnection, QueryResult, TransactionSettings } from 'kysely';
import { holdTransaction, type HeldTransaction } from './held-transaction.js';
import type { Opening } from './origin.js';
import { untaggedPool } from './tagged-pool.js';
import type { TransactionClient } from './transaction-client.js';
import type { PoolClientLike, PoolLike, QueryResultLike } from './types.js';
import { OPENED_AT, type TransactionOptions } from './with-transaction.js';

/** One level of the connection's transaction: the transaction itself, then one per open savepoint. */
interface Level {
  /** The savepoint's name as Kysely gave it; undefined for the transaction. */
  readonly name: string | undefined;
  readonly tx: TransactionClient;
  /** How to end it; undefined when withTransaction itself ends it (the transaction a retrying execute() lent). */
  readonly held: HeldTransaction | undefined;
}

/**
 * A Kysely connection. Inside a transaction every statement goes through the innermost open level's
 * TransactionClient (guards, tags, registry); outside one, through a client of the tagged pool, checked out at the
 * first statement (so `db.connection()` keeps one session) and given back at release.
 */
export class KyselyConnection implements DatabaseConnection {
  readonly #pool: PoolLike;
  readonly #defaults: TransactionOptions<void>;
  #client: Promise<PoolClientLike> | undefined;
  readonly #levels: Level[] = [];

  constructor(pool: PoolLike, defaults: TransactionOptions<void>, lent?: TransactionClient) {
    this.#pool = pool;
    this.#defaults = defaults;
    if (lent !== undefined) this.#levels.push({ name: undefined, tx: lent, held: undefined });
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const tx = this.#levels.at(-1)?.tx;
    const parameters = [...compiled.parameters];
    const result = (tx !== undefined ? await tx.query(compiled.sql, parameters) : await promiseOf(await this.#session(), compiled.sql, parameters)) as QueryResultLike<R>;
    // As Kysely's own PostgresDriver reports it.
    const { command, rowCount } = result;
    const affected = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { numAffectedRows: affected && rowCount !== null ? BigInt(rowCount) : undefined, rows: result.rows ?? [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('@mvcc-doctor/pg/kysely does not stream: run a pg-cursor on the transaction client of withTransaction() instead');
  }

  /** Kysely's BEGIN: a held withTransaction on this connection's session, or nothing when one was lent. */
  async begin(settings: TransactionSettings, opening: Opening): Promise<void> {
    if (this.#levels.length > 0) return;
    const options: TransactionOptions<void> = { ...this.#defaults, [OPENED_AT]: opening } as TransactionOptions<void>;
    if (settings.isolationLevel !== undefined) options.isolationLevel = settings.isolationLevel as TransactionOptions['isolationLevel'];
    if (settings.accessMode !== undefined) options.readOnly = settings.accessMode === 'read only';
    // A session already checked out (db.connection()) runs its transaction on that client, as a client of one.
    const target = this.#client !== undefined ? await this.#client : untaggedPool(this.#pool);
    const held = await holdTransaction(target, options);
    this.#levels.push({ name: undefined, tx: held.tx, held });
  }

  /** COMMIT: open savepoints are released first (as the server would), then the transaction ends. */
  async commit(): Promise<void> {
    await this.#end(0, true);
  }

  async rollback(): Promise<void> {
    await this.#end(0, false);
  }

  async savepoint(name: string): Promise<void> {
    const parent = this.#levels.at(-1);
    if (parent === undefined) throw new Error(`SAVEPOINT ${name} outside a transaction`);
    const held = await holdTransaction(parent.tx, {});
    this.#levels.push({ name, tx: held.tx, held });
  }

  async releaseSavepoint(name: string): Promise<void> {
    await this.#end(this.#find(name), true);
  }

  /** ROLLBACK TO keeps the savepoint on the server: it is rolled back, then made again under the same name. */
  async rollbackToSavepoint(name: string): Promise<void> {
    await this.#end(this.#find(name), false);
    await this.savepoint(name);
  }

  /** Kysely is done with the connection: whatever is still open rolls back, the session goes back to the pool. */
  async release(): Promise<void> {
    try {
      if (this.#levels.length > 0) await this.#end(0, false);
    } finally {
      const client = this.#client;
      this.#client = undefined;
      if (client !== undefined) (await client).release();
    }
  }

  #session(): Promise<PoolClientLike> {
    return (this.#client ??= this.#pool.connect());
  }

  #find(name: string): number {
    for (let i = this.#levels.length - 1; i > 0; i--) if (this.#levels[i]!.name === name) return i;
    throw new Error(`savepoint "${name}" does not exist`);
  }

  /** End the levels from the innermost down to `index`: each savepoint (then the transaction) committed or rolled back. */
  async #end(index: number, commit: boolean): Promise<void> {
    while (this.#levels.length > index) {
      const level = this.#levels.pop()!;
      if (level.held === undefined) continue;
      await (commit ? level.held.commit() : level.held.rollback());
    }
  }
}

/** A pg client's query as a promise (a client that takes only callbacks, as the library's own Lease does, works too). */
function promiseOf(client: PoolClientLike, text: string, values: unknown[]): Promise<QueryResultLike<unknown>> {
  return new Promise((resolve, reject) => {
    const returned = client.query(text, values, (error, result) => (error ? reject(error) : resolve(result))) as PromiseLike<QueryResultLike<unknown>> | undefined;
    if (typeof returned?.then === 'function') returned.then(resolve, reject);
  });
}
