// @mvcc-doctor/pg/kysely: Kysely's own transaction API through withTransaction.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type KyselyConfig,
  type QueryCompiler,
  type TransactionBuilder,
  type TransactionSettings,
} from 'kysely';
import { KyselyConnection } from './kysely-connection.js';
import { ormOpening } from './orm-opening.js';
import type { Opening } from './origin.js';
import { taggedPool } from './tagged-pool.js';
import type { TransactionClient } from './transaction-client.js';
import type { PoolLike } from './types.js';
import { invalidArgument } from './validate-options.js';
import { OPENED_AT, withTransaction, type TransactionOptions } from './with-transaction.js';

/** What the dialect needs. */
export interface WithTransactionDialectConfig {
  /** The pg.Pool (or PoolLike): transactions run through withTransaction on it, plain queries on it tagged (taggedPool). */
  pool: PoolLike;
  /** Defaults for every transaction (app, retry, statementTimeout, …); Kysely's isolation level and access mode go over them. */
  transaction?: TransactionOptions<void>;
}

/** createKysely's config: Kysely's own, with the pool in place of the dialect. */
export interface KyselyWithTransactionConfig extends Omit<KyselyConfig, 'dialect'>, WithTransactionDialectConfig {}

/** Per attempt of a retrying execute(): the transaction withTransaction opened, for the connection Kysely acquires next. */
interface Lent {
  tx: TransactionClient | undefined;
  opening: Opening | undefined;
}
const lending = new AsyncLocalStorage<Lent>();

/**
 * A Kysely whose `db.transaction().execute(fn)` runs as `withTransaction(pool, …)`: the whole of `fn` runs again on
 * 40001/40P01 (so keep side effects out of it), tags and registry as for any transaction, transaction control sent
 * through `trx` refused. `setIsolationLevel()` and `setAccessMode()` go into the BEGIN. `db.startTransaction()`
 * (Kysely's controlled transaction) runs through withTransaction too, with its savepoints as nested savepoints, but is
 * not retried: nothing can run its code again. Plain queries carry the caller's comment (taggedPool).
 * `withSchema()`, `withPlugin()`, `withoutPlugins()` and `withTables()` keep all of this.
 */
export function createKysely<DB>(config: KyselyWithTransactionConfig): Kysely<DB> {
  if (typeof config !== 'object' || config === null) throw invalidArgument('createKysely()', 'config', config, 'must be an object with a pool');
  const { pool, transaction, ...rest } = config;
  const dialect = new WithTransactionDialect({ pool, transaction });
  return retrying(new Kysely<DB>({ ...rest, dialect }), pool, transaction ?? {});
}

/**
 * The dialect alone, for a Kysely made elsewhere: every transaction (`transaction().execute()`, `startTransaction()`)
 * still runs through withTransaction, but without retry (the dialect is told of a transaction only once Kysely's
 * callback is running; only createKysely() can run it again).
 */
export class WithTransactionDialect implements Dialect {
  readonly #pool: PoolLike;
  readonly #defaults: TransactionOptions<void>;

  constructor(config: WithTransactionDialectConfig) {
    if (typeof config?.pool?.connect !== 'function') {
      throw invalidArgument('WithTransactionDialect', 'pool', config?.pool, 'must be a pg.Pool (or anything whose connect() gives clients)');
    }
    this.#pool = config.pool;
    this.#defaults = config.transaction ?? {};
  }

  createDriver(): Driver {
    return new WithTransactionDriver(taggedPool(this.#pool), this.#defaults);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class WithTransactionDriver implements Driver {
  constructor(
    private readonly pool: PoolLike,
    private readonly defaults: TransactionOptions<void>,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const lent = lending.getStore();
    // Only the first connection asked for in a retrying execute() is its transaction's; the callback's own queries on
    // `db` (not `trx`) run beside it, as in plain Kysely.
    const tx = lent?.tx;
    if (lent !== undefined) lent.tx = undefined;
    return new KyselyConnection(this.pool, this.defaults, tx);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const lent = lending.getStore();
    const opening = lent?.opening ?? ormOpening(this.beginTransaction);
    if (lent !== undefined) lent.opening = undefined;
    await (connection as KyselyConnection).begin(settings, opening);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as KyselyConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as KyselyConnection).rollback();
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as KyselyConnection).savepoint(name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as KyselyConnection).rollbackToSavepoint(name);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await (connection as KyselyConnection).releaseSavepoint(name);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as KyselyConnection).release();
  }

  async destroy(): Promise<void> {
    // Kysely's own PostgresDialect ends the pool on db.destroy(); so does this one.
    await (this.pool as { end?: () => unknown }).end?.();
  }
}

/** Make `db` (and the instances derived from it) run transaction().execute() through a retrying withTransaction. */
function retrying<DB>(db: Kysely<DB>, pool: PoolLike, defaults: TransactionOptions<void>): Kysely<DB> {
  const transaction = db.transaction.bind(db);
  const startTransaction = db.startTransaction.bind(db);
  const withPlugin = db.withPlugin.bind(db);
  const withoutPlugins = db.withoutPlugins.bind(db);
  const withSchema = db.withSchema.bind(db);
  const withTables = db.withTables.bind(db);
  db.transaction = () => retryingBuilder(transaction(), pool, defaults);
  db.startTransaction = () => {
    const builder = startTransaction();
    const execute = builder.execute.bind(builder);
    builder.execute = function execute_() {
      // The controlled transaction's BEGIN happens further down, after awaits: name the app's line here.
      return lending.run({ tx: undefined, opening: ormOpening(execute_) }, execute);
    };
    return builder;
  };
  db.withPlugin = (plugin) => retrying(withPlugin(plugin), pool, defaults);
  db.withoutPlugins = () => retrying(withoutPlugins(), pool, defaults);
  db.withSchema = (schema) => retrying(withSchema(schema), pool, defaults);
  db.withTables = <T extends Record<string, Record<string, unknown>>>() => retrying(withTables<T>(), pool, defaults);
  return db;
}

function retryingBuilder<DB>(builder: TransactionBuilder<DB>, pool: PoolLike, options: TransactionOptions<void>): TransactionBuilder<DB> {
  const setIsolationLevel = builder.setIsolationLevel.bind(builder);
  const setAccessMode = builder.setAccessMode.bind(builder);
  const execute = builder.execute.bind(builder);
  builder.setIsolationLevel = (level) =>
    retryingBuilder(setIsolationLevel(level), pool, { ...options, isolationLevel: level as TransactionOptions['isolationLevel'] });
  builder.setAccessMode = (mode) => retryingBuilder(setAccessMode(mode), pool, { ...options, readOnly: mode === 'read only' });
  builder.execute = function executeInTransaction<T>(fn: Parameters<typeof execute<T>>[0]): Promise<T> {
    const opening = ormOpening(executeInTransaction);
    return withTransaction(pool, (tx) => lending.run({ tx, opening: undefined }, execute<T>, fn), {
      ...(options as TransactionOptions<T>),
      [OPENED_AT]: opening,
    } as TransactionOptions<T>);
  };
  return builder;
}
