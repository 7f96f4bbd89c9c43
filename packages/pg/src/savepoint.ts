import { attachRollbackError, connectionGone } from './failure.js';
import { endClient, leaseOf, tag, taggingOf, TransactionClient } from './transaction-client.js';

/**
 * A nested withTransaction: SAVEPOINT, then RELEASE when `fn` resolves, or ROLLBACK TO (and RELEASE) when it throws
 * and the error is rethrown. Never retried on its own: a serialization failure or deadlock aborts the whole
 * transaction, so the outermost withTransaction retries.
 */
export async function withSavepoint<T>(parent: TransactionClient, fn: (tx: TransactionClient) => Promise<T> | T): Promise<T> {
  const lease = leaseOf(parent);
  const tagging = taggingOf(parent);
  const name = `mvcc_doctor_sp_${++lease.savepoints}`;
  // Through the parent, so an ended transaction refuses the savepoint too.
  await parent.query(`SAVEPOINT ${name}`);
  const child = new TransactionClient(lease, tagging, parent.depth + 1);
  try {
    const value = await fn(child);
    endClient(child);
    await lease.run(tag(`RELEASE SAVEPOINT ${name}`, tagging));
    return value;
  } catch (error) {
    endClient(child);
    if (!connectionGone(lease, error)) {
      try {
        await lease.run(tag(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`, tagging));
      } catch (rollbackError) {
        attachRollbackError(error, rollbackError);
      }
    }
    throw error;
  }
}
