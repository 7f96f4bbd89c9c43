// @mvcc-doctor/pg/drizzle: Drizzle's own transaction API through withTransaction.
import { DefaultLogger, DrizzleQueryError, type DrizzleConfig, type ExtractTablesWithRelations, type Logger, type RelationalSchemaConfig } from 'drizzle-orm';
import { drizzle as drizzlePg, NodePgSession, NodePgTransaction, type NodePgClient, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgTransactionConfig } from 'drizzle-orm/pg-core';
import { MvccPgError } from './errors.js';
import { ormOpening } from './orm-opening.js';
import { isSingleClient } from './single-client.js';
import { taggedPool } from './tagged-pool.js';
import type { TransactionClient } from './transaction-client.js';
import type { PoolLike } from './types.js';
import { invalidArgument } from './validate-options.js';
import { OPENED_AT, withTransaction, type TransactionOptions } from './with-transaction.js';

/** Drizzle's config, plus the defaults of every transaction. */
export interface DrizzleWithTransactionConfig<TSchema extends Record<string, unknown>> extends DrizzleConfig<TSchema> {
  /** Defaults for every `db.transaction()` (app, retry, statementTimeout, …); its config's isolation level, access mode and deferrable go over them. */
  transaction?: TransactionOptions<unknown>;
}

type Schema<TSchema extends Record<string, unknown>> = RelationalSchemaConfig<ExtractTablesWithRelations<TSchema>> | undefined;

/** What every transaction of one database needs to build its Drizzle transaction object. */
interface Parts<TSchema extends Record<string, unknown>> {
  readonly dialect: PgDialect;
  readonly schema: Schema<TSchema>;
  readonly logger: Logger | undefined;
  readonly cache: DrizzleConfig<TSchema>['cache'];
}

/**
 * `drizzle(pool, config)` as drizzle-orm/node-postgres makes it, except that `db.transaction(fn, config)` runs as
 * `withTransaction(pool, …)`: the whole of `fn` runs again on 40001/40P01 (keep side effects out of it), tags and
 * registry as for any transaction, transaction control sent through `tx` refused — with the library's error itself
 * (`TransactionControlError`), not drizzle's "Failed query" wrapper. `tx.transaction(fn)` is a nested withTransaction
 * (a savepoint). Plain queries on a pool carry the caller's comment (taggedPool). Takes a pg.Pool, or a connected
 * pg.Client (one transaction at a time on it, see withTransaction).
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>, TClient extends NodePgClient = NodePgClient>(
  client: TClient,
  config: DrizzleWithTransactionConfig<TSchema> = {},
): NodePgDatabase<TSchema> & { $client: TClient } {
  if (typeof (client as { query?: unknown } | null)?.query !== 'function') {
    throw invalidArgument('drizzle()', 'client', client, 'must be a pg.Pool or a connected pg.Client');
  }
  const { transaction: defaults = {}, ...drizzleConfig } = config;
  const plain = isSingleClient(client) ? client : taggedPool(client as TClient & PoolLike);
  const db = drizzlePg<TSchema, TClient>(plain, drizzleConfig);
  const { schema, fullSchema, tableNamesMap } = db._;
  const parts: Parts<TSchema> = {
    dialect: new PgDialect({ casing: drizzleConfig.casing }),
    schema: schema === undefined ? undefined : { schema, fullSchema, tableNamesMap },
    logger: drizzleConfig.logger === true ? new DefaultLogger() : drizzleConfig.logger || undefined,
    cache: drizzleConfig.cache,
  };
  db.transaction = function transaction<T>(fn: (tx: WithTransactionPgTransaction<TSchema>) => Promise<T>, txConfig?: PgTransactionConfig): Promise<T> {
    const options: TransactionOptions<T> = { ...(defaults as TransactionOptions<T>), ...fromDrizzle(txConfig), [OPENED_AT]: ormOpening(transaction) } as TransactionOptions<T>;
    return withTransaction(client as PoolLike, (tx) => ownErrors(fn, new WithTransactionPgTransaction(parts, tx, 0)), options);
  };
  return db as NodePgDatabase<TSchema> & { $client: TClient };
}

/** Drizzle's node-postgres transaction, on a withTransaction client; nesting is a nested withTransaction (a savepoint). */
export class WithTransactionPgTransaction<TSchema extends Record<string, unknown>> extends NodePgTransaction<TSchema, ExtractTablesWithRelations<TSchema>> {
  readonly #parts: Parts<TSchema>;
  readonly #tx: TransactionClient;

  /** @internal */
  constructor(parts: Parts<TSchema>, tx: TransactionClient, nestedIndex: number) {
    // Drizzle's session runs statements through client.query(config, values): the TransactionClient's own query(),
    // tagged and guarded. It never calls the session's transaction() (this class replaces it), which wants a pg client.
    const session = new NodePgSession(tx as unknown as NodePgClient, parts.dialect, parts.schema, { logger: parts.logger, cache: parts.cache });
    super(parts.dialect, session, parts.schema, nestedIndex);
    this.#parts = parts;
    this.#tx = tx;
  }

  override transaction<T>(fn: (tx: WithTransactionPgTransaction<TSchema>) => Promise<T>): Promise<T> {
    return withTransaction(this.#tx, (inner) => ownErrors(fn, new WithTransactionPgTransaction(this.#parts, inner, this.nestedIndex + 1)));
  }
}

/** Run the callback; an error of this library that drizzle wrapped ("Failed query: …") comes out as itself. */
async function ownErrors<A, T>(fn: (arg: A) => Promise<T>, arg: A): Promise<T> {
  try {
    return await fn(arg);
  } catch (error) {
    if (error instanceof DrizzleQueryError && error.cause instanceof MvccPgError) throw error.cause;
    throw error;
  }
}

function fromDrizzle(config: PgTransactionConfig | undefined): TransactionOptions<never> {
  const options: TransactionOptions<never> = {};
  if (config === undefined) return options;
  if (config.isolationLevel !== undefined) options.isolationLevel = config.isolationLevel;
  if (config.accessMode !== undefined) options.readOnly = config.accessMode === 'read only';
  if (config.deferrable !== undefined) options.deferrable = config.deferrable;
  return options;
}
