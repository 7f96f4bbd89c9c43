import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, withTransaction, type RetryInfo, type TransactionClient } from '../src/index.js';
import { barrier, makePool } from './helpers/pools.js';

describe('a real serialization failure (write skew between two SERIALIZABLE transactions) is retried to success', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-serialization' });
    await cluster.sql('CREATE TABLE doctors (name text PRIMARY KEY, on_call bool NOT NULL)');
    pool = makePool(cluster, { max: 2 });
  });
  beforeEach(async () => {
    await cluster.sql("TRUNCATE doctors; INSERT INTO doctors VALUES ('alice', true), ('bob', true)");
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  /** Go off call only if someone else stays on call: the classic write-skew rule. */
  function goOffCall(name: string, bothHaveRead: () => Promise<void>, runs: string[]) {
    return async (tx: TransactionClient) => {
      runs.push(name);
      const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM doctors WHERE on_call');
      await bothHaveRead();
      if ((rows[0]?.n ?? 0) < 2) return 'stayed on call';
      await tx.query('UPDATE doctors SET on_call = false WHERE name = $1', [name]);
      return 'went off call';
    };
  }

  it('one of the two fails with 40001, runs again, sees the other commit, and both succeed', async () => {
    const runs: string[] = [];
    const retries: RetryInfo[] = [];
    const emitted: RetryInfo[] = [];
    events.on('retry', (info) => emitted.push(info));
    const bothHaveRead = barrier(2);
    const options = { isolationLevel: 'serializable' as const, onRetry: (info: RetryInfo) => retries.push(info) };
    const results = await Promise.all([
      withTransaction(pool, goOffCall('alice', bothHaveRead, runs), options),
      withTransaction(pool, goOffCall('bob', bothHaveRead, runs), options),
    ]);
    // Usually one retry; a retry that starts before the other transaction commits can collide once more.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    retries.forEach((r) => expect(r).toMatchObject({ code: '40001' }));
    expect(retries[0]).toMatchObject({ attempt: 1 });
    expect(emitted).toHaveLength(retries.length);
    expect(runs).toHaveLength(2 + retries.length);
    expect(results.sort()).toEqual(['stayed on call', 'went off call']);
    const { rows } = await cluster.sql('SELECT count(*)::int AS n FROM doctors WHERE on_call');
    expect(rows[0]?.n).toBe(1); // the invariant held
  });

  it('contrast: with retry off the same collision surfaces 40001 to the caller', async () => {
    const bothHaveRead = barrier(2);
    const options = { isolationLevel: 'serializable' as const, retry: false as const };
    const outcomes = await Promise.allSettled([
      withTransaction(pool, goOffCall('alice', bothHaveRead, []), options),
      withTransaction(pool, goOffCall('bob', bothHaveRead, []), options),
    ]);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: '40001' });
  });
});
