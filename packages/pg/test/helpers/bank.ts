import type { Cluster } from '@mvcc-doctor/lab';

/** The two hot rows every transfer touches, and the total that must survive any number of them. */
export const TOTAL = 1_000;
export const TRANSFERS = 20;

export async function resetAccounts(cluster: Cluster): Promise<void> {
  await cluster.sql(`DROP TABLE IF EXISTS accounts; CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
    INSERT INTO accounts VALUES (1, ${TOTAL}), (2, 0)`);
}

export async function balances(cluster: Cluster): Promise<{ a: number; b: number }> {
  const { rows } = await cluster.sql<{ id: number; balance: number }>('SELECT id, balance FROM accounts ORDER BY id');
  return { a: rows[0]!.balance, b: rows[1]!.balance };
}

/** Long enough between the read and the write that concurrent transfers overlap (it does not time anything). */
export const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

/** The application_name and query of one backend, as another session sees them. */
export async function activityOf(cluster: Cluster, pid: number): Promise<{ application_name: string; state: string; query: string } | undefined> {
  const { rows } = await cluster.sql<{ application_name: string; state: string; query: string }>(
    'SELECT application_name, state, query FROM pg_stat_activity WHERE pid = $1',
    [pid],
  );
  return rows[0];
}
