import { holdTransaction, type HeldTransaction } from './held-transaction.js';
import type { TransactionClient } from './transaction-client.js';
import type { PoolLike, QueryConfigLike, QueryResultLike, Submittable } from './types.js';
import type { TransactionOptions } from './with-transaction.js';

/** One level: the transaction, then one per open savepoint (knex's nested transactions). */
interface Level {
  readonly tx: TransactionClient;
  /** How to end it; undefined when withTransaction ends it (the transaction a retrying knex.transaction() lent). */
  readonly held: HeldTransaction | undefined;
}

/**
 * What knex takes for the connection of one transaction (its `config.connection`): knex sends every statement of the
 * transaction and of its nested ones through `query(config, callback)`, which goes to the innermost open level's
 * TransactionClient — guarded and tagged. knex never releases a connection it was given; withTransaction does.
 */
export class KnexTransactionConnection {
  readonly #levels: Level[] = [];
  /** knex's trx.rollback() without an error: the transaction must roll back though knex resolves it. */
  rolledBackQuietly = false;
  /** Set by knex on the connections it uses. */
  __knexTxId?: string;
  __knexUid?: string;

  constructor(lent?: TransactionClient) {
    if (lent !== undefined) this.#levels.push({ tx: lent, held: undefined });
  }

  /** The backend pid, as a pg.Client shows it (knex's query cancellation reads it). */
  get processID(): number | undefined {
    return this.#levels[0]?.tx.backendPid;
  }

  query(config: QueryConfigLike | Submittable, callback?: (error: Error | null, result?: QueryResultLike) => void): unknown {
    const tx = this.#levels.at(-1)?.tx;
    if (tx === undefined) {
      const error = new Error('this knex transaction has ended');
      if (callback) return void callback(error);
      return Promise.reject(error);
    }
    // A pg-query-stream (knex's .stream()): node-postgres drives it, as for any submittable.
    if (typeof (config as Submittable).submit === 'function') return tx.query(config as Submittable);
    const result = tx.query(config as QueryConfigLike);
    if (!callback) return result;
    result.then((value) => callback(null, value), (error: Error) => callback(error));
    return undefined;
  }

  /** A top-level BEGIN knex asked for: a held withTransaction, unless one was lent. */
  async begin(pool: PoolLike, options: TransactionOptions<void>): Promise<void> {
    if (this.#levels.length > 0) return;
    const held = await holdTransaction(pool, options);
    this.#levels.push({ tx: held.tx, held });
  }

  /** knex's SAVEPOINT: a held savepoint on the innermost level. */
  async savepoint(): Promise<void> {
    const parent = this.#levels.at(-1);
    if (parent === undefined) throw new Error('SAVEPOINT outside a transaction');
    const held = await holdTransaction(parent.tx, {});
    this.#levels.push({ tx: held.tx, held });
  }

  /** COMMIT or RELEASE of the innermost level. */
  async commit(): Promise<void> {
    const level = this.#levels.pop();
    if (level?.held !== undefined) await level.held.commit();
  }

  /** ROLLBACK or ROLLBACK TO of the innermost level. */
  async rollback(quietly: boolean): Promise<void> {
    const level = this.#levels.pop();
    if (level === undefined) return;
    if (level.held !== undefined) await level.held.rollback();
    else if (quietly) this.rolledBackQuietly = true;
  }
}
