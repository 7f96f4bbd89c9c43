// @mvcc-doctor/pg/knex: knex's own transaction API through withTransaction.
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import { KnexTransactionConnection } from './knex-connection.js';
import { ormOpening } from './orm-opening.js';
import { tagged } from './tagged-pool.js';
import type { PoolClientLike, PoolLike } from './types.js';
import { OPENED_AT, withTransaction, type TransactionOptions } from './with-transaction.js';

// knex's PostgreSQL client and transaction classes: CommonJS, with no types of their own (knex types only the instance).
const require = createRequire(import.meta.url);
const PgClient = require('knex/lib/dialects/postgres/index.js') as new (config: Knex.Config) => KnexClientInternals;
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as new (
  client: KnexClientInternals,
  container: unknown,
  config: TransactionConfig,
  outerTx: unknown,
) => KnexTransactionInternals;

/** The parts of knex's Client this integration uses. */
interface KnexClientInternals {
  config: Knex.Config & { transaction?: TransactionOptions<void> };
  /** True on the client knex makes for a transaction's statements (nested transactions are savepoints). */
  transacting?: boolean;
  acquireConnection(): Promise<PoolClientLike & { __knex__disposed?: unknown }>;
  releaseConnection(connection: unknown): Promise<void>;
  _query(connection: unknown, obj: { sql: string }): Promise<unknown>;
}

/** The parts of knex's Transaction this integration drives. */
interface KnexTransactionInternals extends PromiseLike<unknown> {
  client: KnexClientInternals;
  doNotRejectOnRollback: boolean;
  isolationLevel?: string;
  readOnly?: boolean;
  _completed: boolean;
  _resolver(value: unknown): void;
  _rejecter(error: unknown): void;
}

interface TransactionConfig extends Knex.TransactionConfig {
  connection?: unknown;
  doNotRejectOnRollback?: boolean;
}

/** createKnex's config: knex's own (without `client`), plus the defaults of every transaction. */
export interface KnexWithTransactionConfig extends Omit<Knex.Config, 'client'> {
  /** Defaults for every `knex.transaction()` (app, retry, statementTimeout, …); its isolationLevel and readOnly go over them. */
  transaction?: TransactionOptions<void>;
}

/**
 * knex for PostgreSQL whose `knex.transaction(fn, config)` runs as `withTransaction(…)` on a connection of knex's own
 * pool: the whole of `fn` runs again on 40001/40P01 (keep side effects out of it), tags and registry as for any
 * transaction, transaction control sent through `trx` refused. `trx.transaction(fn)` (and `trx.savepoint`) is a nested
 * withTransaction (a savepoint). `knex.transaction()` without a callback (commit and rollback by hand) runs through
 * withTransaction too, but is not retried: nothing can run its code again. Plain queries carry the app and work
 * context as a comment.
 */
export function createKnex(config: KnexWithTransactionConfig): Knex {
  return knexFactory({ ...config, client: WithTransactionKnexClient as unknown as typeof Knex.Client });
}

/** Ends withTransaction's callback with a rollback knex asked for without an error (trx.rollback()); swallowed. */
class QuietRollback extends Error {}

/** knex's PostgreSQL client, with transactions through withTransaction: give it as `client` in a knex config. */
export class WithTransactionKnexClient extends PgClient {
  /** withTransaction's pool: connections of knex's own pool. */
  readonly #pool: PoolLike = {
    connect: async () => {
      const connection = await this.acquireConnection();
      connection.release = (destroy?: Error | boolean) => {
        delete (connection as { release?: unknown }).release;
        // knex's pool destroys a connection marked so instead of lending it again.
        if (destroy) connection.__knex__disposed = destroy;
        void this.releaseConnection(connection);
      };
      return connection;
    },
  };

  transaction(container: unknown, config: TransactionConfig = {}, outerTx: unknown = null): PromiseLike<unknown> {
    const defaults = this.config.transaction ?? {};
    // Nested (a savepoint), on a connection the caller gave, or knex's own promise resolver (knex.transaction()
    // without a callback): knex's machinery, with each BEGIN/SAVEPOINT/COMMIT/ROLLBACK a held withTransaction.
    // A nested one shares its parent's connection: knex hands it over itself.
    // (knex makes that client with Object.create, bypassing the constructor: it has none of this class's own fields.)
    if (this.transacting) return new HeldKnexTransaction(this, container, config, outerTx, undefined, {});
    if (config.connection !== undefined || typeof container !== 'function' || isNative(container)) {
      const options = { ...defaults, ...fromKnex(config), [OPENED_AT]: ormOpening(this.transaction) } as TransactionOptions<void>;
      // A connection the caller gave runs its transaction on that client, as a client of one.
      const target = config.connection === undefined ? this.#pool : (config.connection as PoolLike);
      return new HeldKnexTransaction(this, container, { ...config, connection: new KnexTransactionConnection() }, outerTx, target, options);
    }
    const options = { ...defaults, ...fromKnex(config), [OPENED_AT]: ormOpening(this.transaction) } as TransactionOptions<unknown>;
    return withTransaction(
      this.#pool,
      async (tx) => {
        const connection = new KnexTransactionConnection(tx);
        const value = await new HeldKnexTransaction(this, container, { ...config, connection }, outerTx, this.#pool, {});
        if (connection.rolledBackQuietly) throw new QuietRollback('rolled back by trx.rollback()');
        return value;
      },
      options,
    ).then(undefined, (error: unknown) => {
      if (error instanceof QuietRollback) return undefined;
      throw error;
    });
  }

  /** Plain queries (not on a transaction's connection) carry the app and work context, and the line when it is on the stack. */
  override _query(connection: unknown, obj: { sql: string }): Promise<unknown> {
    if (connection instanceof KnexTransactionConnection || typeof obj?.sql !== 'string') return super._query(connection, obj);
    const sql = tagged(obj.sql, this._query) as string;
    if (sql === obj.sql) return super._query(connection, obj);
    // knex resolves with the object it was given (the response written on it): a copy, so the caller's stays as it was.
    return super._query(connection, { ...obj, sql });
  }
}

/**
 * knex's PostgreSQL transaction with its statements replaced: BEGIN, SAVEPOINT, COMMIT, RELEASE, ROLLBACK and
 * ROLLBACK TO become the held withTransaction's (or savepoint's) own, or nothing when withTransaction ends it itself.
 */
class HeldKnexTransaction extends PgTransaction {
  constructor(
    client: KnexClientInternals,
    container: unknown,
    config: TransactionConfig,
    outerTx: unknown,
    private readonly pool: PoolLike | undefined,
    private readonly options: TransactionOptions<void>,
  ) {
    super(client, container, config, outerTx);
  }

  begin(connection: KnexTransactionConnection): Promise<void> {
    // knex begins only top-level transactions, which always have a pool.
    return connection.begin(this.pool!, this.options);
  }

  savepoint(connection: KnexTransactionConnection): Promise<void> {
    return connection.savepoint();
  }

  commit(connection: KnexTransactionConnection, value: unknown): Promise<void> {
    return this.#settle(connection.commit(), true, value);
  }

  release(connection: KnexTransactionConnection, value: unknown): Promise<void> {
    return this.#settle(connection.commit(), true, value);
  }

  rollback(connection: KnexTransactionConnection, error: unknown): Promise<void> {
    return this.#settle(connection.rollback(error === undefined), false, error);
  }

  rollbackTo(connection: KnexTransactionConnection, error: unknown): Promise<void> {
    return this.#settle(connection.rollback(error === undefined), false, error);
  }

  /** As knex's own Transaction.query() settles the transaction after its COMMIT or ROLLBACK statement. */
  #settle(ended: Promise<void>, committed: boolean, value: unknown): Promise<void> {
    this._completed = true;
    return ended.then(
      () => {
        if (committed) return this._resolver(value);
        if (value === undefined && this.doNotRejectOnRollback) return this._resolver(undefined);
        this._rejecter(value ?? new Error('Transaction rejected with non-error: undefined'));
      },
      (error: unknown) => this._rejecter(error),
    );
  }
}

/** A native function: knex's own promise resolver, passed as the container of knex.transaction() without a callback. */
function isNative(fn: unknown): boolean {
  return Function.prototype.toString.call(fn).includes('[native code]');
}

function fromKnex(config: TransactionConfig): TransactionOptions<never> {
  const options: TransactionOptions<never> = {};
  if (config.isolationLevel !== undefined) options.isolationLevel = config.isolationLevel as TransactionOptions['isolationLevel'];
  if (config.readOnly !== undefined) options.readOnly = config.readOnly;
  return options;
}
