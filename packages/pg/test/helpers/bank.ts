import type { Cluster } from '@mvcc-doctor/lab';
import { expect, it } from 'vitest';
import type { RetryInfo } from '../../src/index.js';

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

/**
 * The transfer workload every ORM integration is proven with: run inside the ORM's describe, with its own transfer
 * (which counts its callback's runs) and the retries its onRetry collected.
 */
export function transferWorkloadTests(env: { cluster: () => Cluster; transfer: (runs: { n: number }) => Promise<unknown>; retries: RetryInfo[] }): void {
  it(`${TRANSFERS} concurrent SERIALIZABLE transfers on two hot rows: all commit, the sum is conserved, retries ran the callback again`, async () => {
    const runs = { n: 0 };
    const outcomes = await Promise.all(Array.from({ length: TRANSFERS }, () => env.transfer(runs)));
    expect(outcomes).toEqual(Array(TRANSFERS).fill('moved'));
    expect(await balances(env.cluster())).toEqual({ a: TOTAL - TRANSFERS, b: TRANSFERS });
    expect(env.retries.length).toBeGreaterThan(0);
    expect(env.retries.every((r) => r.code === '40001')).toBe(true);
    expect(runs.n).toBe(TRANSFERS + env.retries.length);
  });

  it('healthy: transfers one after another never conflict, and nothing is retried', async () => {
    const runs = { n: 0 };
    for (let i = 0; i < 3; i++) await env.transfer(runs);
    expect(await balances(env.cluster())).toEqual({ a: TOTAL - 3, b: 3 });
    expect(env.retries).toEqual([]);
    expect(runs.n).toBe(3);
  });
}
