import { currentStore, runInSavepoint } from './context.js';
import { TransactionBusyError } from './errors.js';
import { attachRollbackError, connectionGone } from './failure.js';
import { endClient, leaseOf, refusalOf, savepointsOf, tag, taggingOf, TransactionClient } from './transaction-client.js';

/**
 * A nested withTransaction: SAVEPOINT, then RELEASE when `fn` resolves, or ROLLBACK TO (and RELEASE) when it throws
 * and the error is rethrown. Never retried on its own: a serialization failure or deadlock aborts the whole
 * transaction, so the outermost withTransaction retries.
 *
 * Savepoints requested on one client at once (Promise.all) run one after another, in request order: one connection
 * runs one statement at a time, and interleaved savepoints would release each other. While one is open, its parent
 * refuses queries (TransactionBusyError); a savepoint asked of the parent from inside one of its open savepoints would
 * wait for itself, so it is refused too.
 */
export async function withSavepoint<T>(
  parent: TransactionClient,
  fn: (tx: TransactionClient) => Promise<T> | T,
  afterCommit: ((value: T) => unknown) | undefined,
): Promise<T> {
  const lease = leaseOf(parent);
  const tagging = taggingOf(parent);
  const state = savepointsOf(parent);
  if (currentStore().savepointParents.includes(parent)) {
    throw new TransactionBusyError(lease.opening.origin, 'withTransaction() on the client whose savepoint this code runs in');
  }
  const previous = state.queue;
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  state.queue = mine;
  try {
    if (previous !== undefined) await previous;
    // Checked after the wait: the transaction may have ended meanwhile.
    const refused = refusalOf(parent, 'withTransaction() for a savepoint');
    if (refused !== undefined) throw refused;
    const name = `mvcc_doctor_sp_${++lease.savepoints}`;
    await lease.run(tag(`SAVEPOINT ${name}`, tagging));
    // The transaction may have ended while SAVEPOINT was in flight (its callback returned without awaiting this):
    // nothing may be sent after its COMMIT or ROLLBACK.
    const ended = refusalOf(parent, 'withTransaction() for a savepoint');
    if (ended !== undefined) throw ended;
    const child = new TransactionClient(lease, tagging, parent.depth + 1);
    // Hooks registered by savepoints nested in this one are dropped if this one rolls back.
    const hooks = lease.afterCommit?.length ?? 0;
    state.open = child;
    try {
      const value = await runInSavepoint(parent, fn, child);
      endClient(child);
      await lease.run(tag(`RELEASE SAVEPOINT ${name}`, tagging));
      if (afterCommit !== undefined) (lease.afterCommit ??= []).push(() => afterCommit(value));
      return value;
    } catch (error) {
      endClient(child);
      if (lease.afterCommit !== undefined) lease.afterCommit.length = hooks;
      if (!connectionGone(lease, error)) {
        try {
          await lease.run(tag(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`, tagging));
        } catch (rollbackError) {
          attachRollbackError(error, rollbackError);
        }
      }
      throw error;
    } finally {
      state.open = undefined;
    }
  } finally {
    done();
    if (state.queue === mine) state.queue = undefined;
  }
}
