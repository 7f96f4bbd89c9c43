import { Cluster } from '@mvcc-doctor/lab';
import { eq, sql, TransactionRollbackError } from 'drizzle-orm';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configure, openTransactions, parseSqlComment, resetConfiguration, TransactionControlError, withContext, type RetryInfo } from '../src/index.js';
import { drizzle } from '../src/drizzle.js';
import { activityOf, pause, resetAccounts, transferWorkloadTests } from './helpers/bank.js';
import { makePool } from './helpers/pools.js';

const accounts = pgTable('accounts', { id: integer('id').primaryKey(), balance: integer('balance').notNull() });
const notes = pgTable('notes', { id: serial('id').primaryKey(), body: text('body').notNull() });

const lineOf = (error: Error) => Number(/drizzle\.test\.ts:(\d+)/.exec(error.stack ?? '')?.[1]);
const ORIGIN = 'packages/pg/test/drizzle.test.ts';

describe('@mvcc-doctor/pg/drizzle: Drizzle’s own transaction API runs through withTransaction', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  const retries: RetryInfo[] = [];
  let db: ReturnType<typeof drizzle>;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-drizzle', log: { statement: 'all' } });
    pool = makePool(cluster, { max: 10 });
    configure({ app: 'bank' });
    db = drizzle(pool, { transaction: { onRetry: (info) => retries.push(info) } });
  });
  beforeEach(async () => {
    retries.length = 0;
    await resetAccounts(cluster);
    await cluster.sql('DROP TABLE IF EXISTS notes; CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  });
  afterAll(async () => {
    resetConfiguration();
    await pool?.end();
    await cluster?.destroy();
  });

  const notesNow = async () => (await cluster.sql<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);

  /** Move 1 from account 1 to account 2 by writing back what was read: a lost update without SERIALIZABLE. */
  const transfer = (runs: { n: number }) =>
    db.transaction(
      async (tx) => {
        runs.n++;
        const [from] = await tx.select().from(accounts).where(eq(accounts.id, 1));
        const [to] = await tx.select().from(accounts).where(eq(accounts.id, 2));
        await pause();
        await tx.update(accounts).set({ balance: from!.balance - 1 }).where(eq(accounts.id, 1));
        await tx.update(accounts).set({ balance: to!.balance + 1 }).where(eq(accounts.id, 2));
        return 'moved';
      },
      { isolationLevel: 'serializable' },
    );

  transferWorkloadTests({ cluster: () => cluster, transfer, retries });

  it('while the transaction is open, pg_stat_activity names app, file and line, and the registry lists it', async () => {
    const line = lineOf(new Error()) + 1;
    const seen = await db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
      const pid = rows[0]!.pid;
      return { row: await activityOf(cluster, pid), registry: openTransactions().find((t) => t.backendPid === pid) };
    });
    expect(seen.row?.state).toBe('idle in transaction');
    // The comment names the code; application_name stays the pool's (applicationName is off by default).
    expect(seen.row?.application_name).toBe('pg-test');
    expect(parseSqlComment(seen.row?.query ?? '')).toMatchObject({ app: 'bank', origin: `${ORIGIN}:${line}` });
    expect(seen.registry).toMatchObject({ kind: 'transaction', origin: `${ORIGIN}:${line}` });
  });

  it('a plain query (outside any transaction) carries the app and the work context; drizzle hides the line', async () => {
    await withContext({ route: 'GET /balance' }, async () => {
      await db.select({ marker: sql<number>`43`.as('drizzle_plain_marker') }).from(accounts);
    });
    const sent = cluster.readLog().split('\n').filter((l) => l.includes('drizzle_plain_marker'));
    expect(sent).toHaveLength(1);
    // Drizzle sends from a then() that the microtask queue calls: no frame of the app is on the stack by then.
    expect(parseSqlComment(sent[0]!.replace(/^.*statement: /, ''))).toEqual({ app: 'bank', route: 'GET /balance', origin: 'unknown:0' });
  });

  it('transaction control through tx is refused with our own error (not "Failed query: …"), and nothing before it commits', async () => {
    const attempt = db.transaction(async (tx) => {
      await tx.insert(notes).values({ body: 'half' });
      await tx.execute(sql`commit`);
    });
    await expect(attempt).rejects.toBeInstanceOf(TransactionControlError);
    await expect(attempt).rejects.toThrow(/^COMMIT refused, nothing was sent/);
    expect(await notesNow()).toEqual([]);
  });

  it('tx.transaction() is a savepoint: its failure undoes only its part; tx.rollback() undoes everything', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(notes).values({ body: 'outer' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(notes).values({ body: 'inner' });
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.transaction(async (inner) => {
        await inner.insert(notes).values({ body: 'second inner' });
      });
    });
    expect(await notesNow()).toEqual(['outer', 'second inner']);
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(notes).values({ body: 'rolled back' });
        tx.rollback();
      }),
    ).rejects.toBeInstanceOf(TransactionRollbackError);
    expect(await notesNow()).toEqual(['outer', 'second inner']);
  });
});
