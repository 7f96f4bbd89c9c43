import { Cluster } from '@mvcc-doctor/lab';
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configure, openTransactions, parseSqlComment, resetConfiguration, TransactionControlError, withContext, type RetryInfo } from '../src/index.js';
import { createKnex } from '../src/knex.js';
import { activityOf, pause, resetAccounts, transferWorkloadTests } from './helpers/bank.js';

const lineOf = (error: Error) => Number(/knex\.test\.ts:(\d+)/.exec(error.stack ?? '')?.[1]);
const ORIGIN = 'packages/pg/test/knex.test.ts';

describe('@mvcc-doctor/pg/knex: knex’s own transaction API runs through withTransaction', () => {
  let cluster: Cluster;
  let db: Knex;
  const retries: RetryInfo[] = [];
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-knex', log: { statement: 'all' } });
    configure({ app: 'bank' });
    db = createKnex({
      connection: { ...cluster.connectionConfig(), application_name: 'knex-test' } as Knex.PgConnectionConfig,
      pool: { min: 0, max: 10 },
      transaction: { onRetry: (info) => retries.push(info) },
    });
  });
  beforeEach(async () => {
    retries.length = 0;
    await resetAccounts(cluster);
    await cluster.sql('DROP TABLE IF EXISTS notes; CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  });
  afterAll(async () => {
    resetConfiguration();
    await db?.destroy();
    await cluster?.destroy();
  });

  const notesNow = async () => (await cluster.sql<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);

  /** Move 1 from account 1 to account 2 by writing back what was read: a lost update without SERIALIZABLE. */
  const transfer = (runs: { n: number }) =>
    db.transaction(
      async (trx) => {
        runs.n++;
        const from = await trx('accounts').where({ id: 1 }).first<{ balance: number }>('balance');
        const to = await trx('accounts').where({ id: 2 }).first<{ balance: number }>('balance');
        await pause();
        await trx('accounts').where({ id: 1 }).update({ balance: from!.balance - 1 });
        await trx('accounts').where({ id: 2 }).update({ balance: to!.balance + 1 });
        return 'moved';
      },
      { isolationLevel: 'serializable' },
    );

  transferWorkloadTests({ cluster: () => cluster, transfer, retries });

  it('while the transaction is open, pg_stat_activity names app, file and line, and the registry lists it', async () => {
    const line = lineOf(new Error()) + 1;
    const seen = await db.transaction(async (trx) => {
      const { rows } = await trx.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0]!.pid;
      return { row: await activityOf(cluster, pid), registry: openTransactions().find((t) => t.backendPid === pid), pid };
    });
    expect(seen.row?.state).toBe('idle in transaction');
    // The comment names the code; application_name stays the pool's (applicationName is off by default).
    expect(seen.row?.application_name).toBe('knex-test');
    expect(parseSqlComment(seen.row?.query ?? '')).toMatchObject({ app: 'bank', origin: `${ORIGIN}:${line}` });
    expect(seen.registry).toMatchObject({ kind: 'transaction', origin: `${ORIGIN}:${line}` });
    expect((await activityOf(cluster, seen.pid))?.application_name).toBe('knex-test');
  });

  it('a plain query (outside any transaction) carries the app and the work context', async () => {
    await withContext({ job: 'nightly' }, async () => {
      await db.select(db.raw('44 AS knex_plain_marker'));
    });
    const sent = cluster.readLog().split('\n').filter((l) => l.includes('knex_plain_marker'));
    expect(sent).toHaveLength(1);
    expect(parseSqlComment(sent[0]!.replace(/^.*statement: /, ''))).toMatchObject({ app: 'bank', job: 'nightly' });
  });

  it('transaction control through trx is refused with our error, and nothing before it commits', async () => {
    const attempt = db.transaction(async (trx) => {
      await trx('notes').insert({ body: 'half' });
      await trx.raw('select 1; commit; begin');
    });
    await expect(attempt).rejects.toBeInstanceOf(TransactionControlError);
    // knex puts the statement's text in front of every query error's message; the refusal follows it.
    await expect(attempt).rejects.toThrow(/ - COMMIT \(statement 2 of 3 in the query\) refused, nothing was sent/);
    expect(await notesNow()).toEqual([]);
  });

  it('trx.transaction() is a savepoint: its failure undoes only its part; trx.rollback() undoes everything', async () => {
    await db.transaction(async (trx) => {
      await trx('notes').insert({ body: 'outer' });
      await expect(
        trx.transaction(async (inner) => {
          await inner('notes').insert({ body: 'inner' });
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await trx.transaction(async (inner) => {
        await inner('notes').insert({ body: 'second inner' });
      });
    });
    expect(await notesNow()).toEqual(['outer', 'second inner']);
    const quiet = await db.transaction(async (trx) => {
      await trx('notes').insert({ body: 'rolled back' });
      await trx.rollback();
    });
    expect(quiet).toBeUndefined();
    expect(await notesNow()).toEqual(['outer', 'second inner']);
  });

  it('knex.transaction() without a callback: commit and rollback by hand, through withTransaction', async () => {
    const trx = await db.transaction(); const line = lineOf(new Error());
    expect(openTransactions().find((t) => t.origin === `${ORIGIN}:${line}`)).toBeDefined();
    await trx('notes').insert({ body: 'by hand' });
    await trx.commit();
    const gone = await db.transaction();
    await gone('notes').insert({ body: 'by hand, rolled back' });
    await gone.rollback();
    expect(await notesNow()).toEqual(['by hand']);
    expect(openTransactions().filter((t) => t.origin.includes('knex.test.ts'))).toEqual([]);
  });
});
