import { Cluster } from '@mvcc-doctor/lab';
import { sql, type Generated } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configure, openTransactions, parseSqlComment, resetConfiguration, TransactionControlError, type RetryInfo } from '../src/index.js';
import { createKysely } from '../src/kysely.js';
import { activityOf, pause, resetAccounts, transferWorkloadTests } from './helpers/bank.js';
import { makePool } from './helpers/pools.js';

interface DB {
  accounts: { id: number; balance: number };
  notes: { id: Generated<number>; body: string };
}

const lineOf = (error: Error) => Number(/kysely\.test\.ts:(\d+)/.exec(error.stack ?? '')?.[1]);

describe('@mvcc-doctor/pg/kysely: Kysely’s own transaction API runs through withTransaction', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  const retries: RetryInfo[] = [];
  let db: ReturnType<typeof createKysely<DB>>;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-kysely', log: { statement: 'all' } });
    pool = makePool(cluster, { max: 10 });
    configure({ app: 'bank' });
    db = createKysely<DB>({ pool, transaction: { onRetry: (info) => retries.push(info) } });
  });
  beforeEach(async () => {
    retries.length = 0;
    await resetAccounts(cluster);
    await cluster.sql('DROP TABLE IF EXISTS notes; CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  });
  afterAll(async () => {
    resetConfiguration();
    await db?.destroy(); // ends the pool, as Kysely's own dialect does
    await cluster?.destroy();
  });

  /** Move 1 from account 1 to account 2: read, then write what was read (a lost update without SERIALIZABLE). */
  const transfer = (runs: { n: number }) =>
    db
      .transaction()
      .setIsolationLevel('serializable')
      .execute(async (trx) => {
        runs.n++;
        const from = await trx.selectFrom('accounts').select('balance').where('id', '=', 1).executeTakeFirstOrThrow();
        const to = await trx.selectFrom('accounts').select('balance').where('id', '=', 2).executeTakeFirstOrThrow();
        await pause();
        await trx.updateTable('accounts').set({ balance: from.balance - 1 }).where('id', '=', 1).execute();
        await trx.updateTable('accounts').set({ balance: to.balance + 1 }).where('id', '=', 2).execute();
        return 'moved';
      });

  transferWorkloadTests({ cluster: () => cluster, transfer, retries });

  it('while the transaction is open, pg_stat_activity names app, file and line, and the registry lists it', async () => {
    const line = lineOf(new Error()) + 1;
    const seen = await db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
      const pid = rows[0]!.pid;
      return { row: await activityOf(cluster, pid), registry: openTransactions().find((t) => t.backendPid === pid), pid };
    });
    expect(seen.row?.state).toBe('idle in transaction');
    // The comment names the code; application_name stays the pool's (applicationName is off by default).
    expect(seen.row?.application_name).toBe('pg-test');
    expect(parseSqlComment(seen.row?.query ?? '')).toMatchObject({ app: 'bank', origin: `packages/pg/test/kysely.test.ts:${line}` });
    expect(seen.registry).toMatchObject({ kind: 'transaction', origin: `packages/pg/test/kysely.test.ts:${line}` });
    // After COMMIT the session is the pool's again.
    expect((await activityOf(cluster, seen.pid))?.application_name).toBe('pg-test');
  });

  it('a plain query (outside any transaction) carries the comment of the line that sent it; no SET was sent for it', async () => {
    await db.selectFrom('accounts').select(sql<number>`42`.as('plain_marker')).execute(); const line = lineOf(new Error());
    const sent = cluster.readLog().split('\n').filter((l) => l.includes('plain_marker'));
    expect(sent).toHaveLength(1);
    expect(parseSqlComment(sent[0]!.replace(/^.*statement: /, ''))).toMatchObject({ app: 'bank', origin: `packages/pg/test/kysely.test.ts:${line}` });
  });

  it('transaction control sent through trx is refused with our error, and nothing before it is committed', async () => {
    const attempt = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ body: 'half' }).execute();
      await sql`COMMIT`.execute(trx);
    });
    await expect(attempt).rejects.toBeInstanceOf(TransactionControlError);
    await expect(attempt).rejects.toThrow(/COMMIT refused, nothing was sent/);
    expect((await cluster.sql('SELECT * FROM notes')).rows).toEqual([]);
  });

  it('a controlled transaction’s savepoints are nested savepoints: ROLLBACK TO undoes only its part and keeps the savepoint', async () => {
    const trx = await db.startTransaction().execute(); const line = lineOf(new Error());
    expect(openTransactions().find((t) => t.origin === `packages/pg/test/kysely.test.ts:${line}`)).toBeDefined();
    await trx.insertInto('notes').values({ body: 'kept' }).execute();
    const sp = await trx.savepoint('a').execute();
    await sp.insertInto('notes').values({ body: 'undone' }).execute();
    const back = await sp.rollbackToSavepoint('a').execute();
    await back.insertInto('notes').values({ body: 'after' }).execute();
    await expect(sql`ROLLBACK`.execute(back)).rejects.toBeInstanceOf(TransactionControlError);
    const released = await back.releaseSavepoint('a').execute();
    await released.commit().execute();
    expect((await cluster.sql<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body)).toEqual(['kept', 'after']);
    expect(openTransactions().filter((t) => t.origin.includes('kysely.test.ts'))).toEqual([]);
  });

  it('a controlled transaction rolled back leaves nothing', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('notes').values({ body: 'gone' }).execute();
    await trx.rollback().execute();
    expect((await cluster.sql('SELECT * FROM notes')).rows).toEqual([]);
  });
});
