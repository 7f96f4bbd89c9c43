import { isTransactionClient, type TransactionClient } from './transaction-client.js';
import type { PoolLike, SingleClientLike } from './types.js';
import { withTransaction, type TransactionOptions } from './with-transaction.js';

/**
 * A withTransaction (or, on a transaction client, a savepoint) whose end the caller decides later: for ORMs that drive
 * BEGIN, COMMIT and ROLLBACK themselves (Kysely's controlled transactions and savepoints, knex's savepoints and its
 * transactions without a callback). Everything withTransaction does still happens (tags, registry, guards, single
 * release, savepoint serialisation); only retry cannot, because the ORM's callback has already run: it is off here.
 */
export interface HeldTransaction {
  /** The transaction's (or savepoint's) client, for the ORM's statements. */
  readonly tx: TransactionClient;
  /** COMMIT (or RELEASE); rejects as withTransaction would (e.g. a serialization failure at COMMIT). */
  commit(): Promise<void>;
  /** ROLLBACK (or ROLLBACK TO and RELEASE); rejects only if that fails. */
  rollback(): Promise<void>;
}

/** The reason given to withTransaction for a rollback the ORM asked for: recognised and swallowed by rollback(). */
class HeldRollback extends Error {
  constructor() {
    super('rolled back by the ORM');
  }
}

/** Open a held transaction (BEGIN, or SAVEPOINT when `target` is a transaction client); resolves once it is open. */
export function holdTransaction(target: PoolLike | SingleClientLike | TransactionClient, options: TransactionOptions<void>): Promise<HeldTransaction> {
  let decide!: (commit: boolean) => void;
  const decision = new Promise<boolean>((resolve) => (decide = resolve));
  let rollback: HeldRollback | undefined;
  return new Promise((resolve, reject) => {
    const done = withTransaction(
      target,
      async (tx) => {
        resolve({
          tx,
          commit: () => {
            decide(true);
            return done;
          },
          rollback: () => {
            decide(false);
            return done.catch((error: unknown) => {
              if (error !== rollback) throw error;
            });
          },
        });
        if (!(await decision)) throw (rollback = new HeldRollback());
      },
      // A savepoint takes no retry option: it is never retried on its own.
      isTransactionClient(target) ? options : { ...options, retry: false },
    );
    // Failed before the callback ran (BEGIN refused, no client): the opener gets the error. After it ran, commit() or
    // rollback() hands the outcome to whoever ends the transaction.
    done.catch(reject);
  });
}
