import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AfterCommitError, events, withTransaction, type RetryInfo, type TransactionClient, type TransactionOptions } from '../src/index.js';
import { makePool } from './helpers/pools.js';

const TRANSFERS = 20;

describe('retry on a hot row: 20 concurrent SERIALIZABLE transfers between the same two accounts', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  const retries: RetryInfo[] = [];
  const onRetry = (info: RetryInfo) => retries.push(info);
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-hot-row' });
    await cluster.sql('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    pool = makePool(cluster, { max: TRANSFERS });
    events.on('retry', onRetry);
  });
  beforeEach(async () => {
    retries.length = 0;
    await cluster.sql('TRUNCATE accounts; INSERT INTO accounts VALUES (1, 1000), (2, 1000)');
  });
  afterAll(async () => {
    events.off('retry', onRetry);
    await pool?.end();
    await cluster?.destroy();
  });

  /** Move `amount` from one account to the other, reading both balances first (what makes SERIALIZABLE collide). */
  const transfer = (from: number, to: number, amount: number, runs: { n: number }) => async (tx: TransactionClient) => {
    runs.n++;
    const { rows } = await tx.query<{ id: number; balance: number }>('SELECT id, balance FROM accounts WHERE id IN ($1, $2) ORDER BY id', [from, to]);
    const balance = rows.find((r) => r.id === from)?.balance ?? 0;
    await tx.query('UPDATE accounts SET balance = $2 WHERE id = $1', [from, balance - amount]);
    await tx.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [to, amount]);
    return { from, to, amount };
  };

  const balances = async () => (await cluster.sql<{ sum: number; one: number }>('SELECT sum(balance)::int AS sum, (SELECT balance FROM accounts WHERE id = 1) AS one FROM accounts')).rows[0];

  it('with the defaults, every transfer commits, the sum is conserved, and afterCommit ran once per commit', async () => {
    const runs = { n: 0 };
    const committed: unknown[] = [];
    const outcomes = await Promise.allSettled(
      Array.from({ length: TRANSFERS }, (_, i) =>
        withTransaction(pool, transfer(i % 2 === 0 ? 1 : 2, i % 2 === 0 ? 2 : 1, i + 1, runs), {
          isolationLevel: 'serializable',
          afterCommit: (value) => committed.push(value),
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    // The collisions were real: without them there would be nothing to survive.
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((r) => r.code === '40001' || r.code === '40P01')).toBe(true);
    expect(runs.n).toBe(TRANSFERS + retries.length);
    expect(committed).toHaveLength(TRANSFERS);
    expect(new Set(committed.map((c) => (c as { amount: number }).amount)).size).toBe(TRANSFERS);
    // Even i: 1 → 2 by i+1; odd i: 2 → 1 by i+1. Net for account 1: -(1+3+…+19) + (2+4+…+20) = +10.
    expect(await balances()).toEqual({ sum: 2000, one: 1010 });
  });

  it('contrast: bounded by a small attempt count, transfers fail; the final error carries the attempts and the SQLSTATEs seen', async () => {
    const runs = { n: 0 };
    let afterCommits = 0;
    const options: TransactionOptions<unknown> = { isolationLevel: 'serializable', retry: { maxAttempts: 2 }, afterCommit: () => afterCommits++ };
    const outcomes = await Promise.allSettled(Array.from({ length: TRANSFERS }, () => withTransaction(pool, transfer(1, 2, 1, runs), options)));
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as Error & { attempts: number; sqlstates: string[] });
    expect(failed.length).toBeGreaterThan(0);
    for (const error of failed) {
      expect(error).toMatchObject({ code: '40001', attempts: 2 });
      expect(error.sqlstates).toHaveLength(2);
      expect(error.sqlstates.every((code) => code === '40001' || code === '40P01')).toBe(true);
    }
    const succeeded = TRANSFERS - failed.length;
    expect(afterCommits).toBe(succeeded);
    expect(await balances()).toEqual({ sum: 2000, one: 1000 - succeeded });
  });

  it('retryIf decides what is retried: here an application error the callback throws on its first run', async () => {
    let runs = 0;
    const value = await withTransaction(
      pool,
      async (tx) => {
        runs++;
        await tx.query('UPDATE accounts SET balance = balance - 1 WHERE id = 1');
        if (runs === 1) throw new Error('upstream not ready');
        return runs;
      },
      { retry: { retryIf: (error, attempt) => (error as Error).message === 'upstream not ready' && attempt < 3 } },
    );
    expect(value).toBe(2);
    expect(retries).toMatchObject([{ attempt: 1, code: undefined }]);
    expect(await balances()).toEqual({ sum: 1999, one: 999 });
  });

  it('afterCommit: never for a rolled-back transaction; a savepoint\'s hook runs after the outer commit, not if it rolled back', async () => {
    const calls: string[] = [];
    await expect(
      withTransaction(pool, () => Promise.reject(new Error('no')), { afterCommit: () => calls.push('rolled back') }),
    ).rejects.toThrow('no');
    await withTransaction(
      pool,
      async (tx) => {
        await withTransaction(tx, () => calls.push('inner runs'), { afterCommit: () => calls.push('released savepoint') });
        await withTransaction(tx, () => Promise.reject(new Error('inner fails')), { afterCommit: () => calls.push('rolled-back savepoint') }).catch(() => {});
        await withTransaction(tx, async (sp) => {
          await withTransaction(sp, () => 'nested', { afterCommit: () => calls.push('nested in a rolled-back savepoint') });
          throw new Error('outer savepoint fails');
        }).catch(() => {});
        calls.push('callback returns');
      },
      { afterCommit: () => calls.push('outer') },
    );
    expect(calls).toEqual(['inner runs', 'callback returns', 'outer', 'released savepoint']);
  });

  it('afterCommit that throws: AfterCommitError, the commit stands, and the transaction is not run again', async () => {
    let runs = 0;
    const hookError = new Error('mail server down');
    const error = await withTransaction(
      pool,
      async (tx) => {
        runs++;
        await tx.query('UPDATE accounts SET balance = balance + 5 WHERE id = 2');
        return 'done';
      },
      { afterCommit: () => Promise.reject(hookError), retry: { retryIf: () => true } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AfterCommitError);
    expect(error).toMatchObject({ code: 'AFTER_COMMIT_FAILED', cause: hookError, value: 'done', errors: [hookError] });
    expect(runs).toBe(1);
    expect(await balances()).toEqual({ sum: 2005, one: 1000 });
  });
});
