import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransactionControlError, withTransaction } from '../src/index.js';
import { makePool } from './helpers/pools.js';

/**
 * Statements that end the transaction when a server runs them inside BEGIN …: each is first shown to commit part of
 * a transaction on raw node-postgres (the row written before it, or the one written after it in autocommit), so the
 * case is real; then refused by the transaction client, where both rows roll back with the rest when the callback
 * throws.
 */
const ENDING = [
  '/* x */ commit',
  'select 1; commit; begin',
  '  -- note\n COMMIT',
  'select 1; end; begin',
  'select 1; commit and chain',
  '/* a /* nested */ comment */ end',
  "select 'it''s'; commit; begin",
  "select E'\\''; commit; begin",
  'select $$ ; $$; commit; begin',
  'select $q$ $$ ; $q$; commit; begin',
  'select "a;b" from (select 1 as "a;b") s; commit; begin',
  'select 1; abort',
  'ROLLBACK',
  'select 1;rollback',
  'create function pg_temp.f() returns int language sql begin atomic select 1; end; commit; begin',
];

/** Refused, but they do not end the transaction by themselves. */
const OTHER_CONTROL = ['SAVEPOINT mine', 'select 1; savepoint mine', 'RELEASE mine', 'ROLLBACK TO SAVEPOINT mine', "COMMIT PREPARED 'nope'", "ROLLBACK PREPARED 'nope'"];

/** Look like transaction control to a careless reader; the server runs them inside the transaction. */
const HARMLESS = [
  "select 'commit'",
  "select 'x; commit' as s",
  'select 1 -- ; commit',
  'select 1 /* ; commit */',
  'select $$; commit$$',
  "select E'\\'; commit' as s",
  'select 1 as "commit"; select 2',
  'DO $$ BEGIN PERFORM 1; END $$',
  'create function pg_temp.g() returns int language sql begin atomic select 1; select case when true then 2 end; end',
];

describe('transaction control smuggled into a transaction client: refused, never a half-commit', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  let raw: pg.Client;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-hostile' });
    await cluster.sql('CREATE TABLE t (id serial PRIMARY KEY, note text)');
    await cluster.sql(`CREATE PROCEDURE commit_inside() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t (note) VALUES ('procedure'); COMMIT; END $$`);
    pool = makePool(cluster, { max: 2 });
    raw = await cluster.connect();
  });
  beforeEach(async () => {
    await cluster.sql('TRUNCATE t');
  });
  afterAll(async () => {
    await raw?.end();
    await pool?.end();
    await cluster?.destroy();
  });

  const rows = async () => (await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]?.n;

  it.each(ENDING)('%j commits part of a transaction on raw pg; refused in withTransaction, and nothing is committed', async (statement) => {
    // The contrast: the server really ends the transaction on it.
    await raw.query('BEGIN');
    await raw.query("INSERT INTO t (note) VALUES ('before')");
    await raw.query(statement);
    await raw.query("INSERT INTO t (note) VALUES ('after')");
    await raw.query('ROLLBACK').catch(() => {}); // a warning when no transaction is left to roll back
    expect(await rows()).toBeGreaterThan(0);
    await cluster.sql('TRUNCATE t');

    const boom = new Error('the callback fails after the smuggled statement');
    let refusal: unknown;
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO t (note) VALUES ('before')");
        refusal = await tx.query(statement).catch((e: unknown) => e);
        await tx.query("INSERT INTO t (note) VALUES ('after')");
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(refusal).toBeInstanceOf(TransactionControlError);
    expect(await rows()).toBe(0);
  });

  it.each(OTHER_CONTROL)('%j is refused', async (statement) => {
    await withTransaction(pool, async (tx) => {
      await expect(tx.query(statement)).rejects.toBeInstanceOf(TransactionControlError);
      await expect(tx.query({ text: statement })).rejects.toBeInstanceOf(TransactionControlError);
    });
  });

  it('a refused statement does not abort the transaction: nothing of it was sent', async () => {
    await withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO t (note) VALUES ('kept')");
      await expect(tx.query('select 1; commit')).rejects.toMatchObject({ code: 'TRANSACTION_CONTROL_REFUSED', statement: 'COMMIT', position: { index: 2, of: 2 } });
      await tx.query("INSERT INTO t (note) VALUES ('kept too')");
    });
    expect(await rows()).toBe(2);
  });

  it.each(HARMLESS)('%j runs inside the transaction', async (statement) => {
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO t (note) VALUES ('x')");
        await tx.query(statement);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await rows()).toBe(0);
  });

  it('one call site, transaction after transaction: every statement is checked each time (what passed once is kept, nothing else)', async () => {
    const harmless = HARMLESS.filter((statement) => !statement.startsWith('create')); // a temp function outlives its transaction
    for (let round = 0; round < 3; round++) {
      await expect(
        withTransaction(pool, async (tx) => {
          for (const statement of harmless) await tx.query(statement);
          await tx.query("INSERT INTO t (note) VALUES ('x')");
          for (const statement of [...ENDING, ...OTHER_CONTROL]) {
            await expect(tx.query(statement)).rejects.toBeInstanceOf(TransactionControlError);
            await expect(tx.query({ text: statement })).rejects.toBeInstanceOf(TransactionControlError);
          }
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await rows()).toBe(0);
    }
  });

  it('with standard_conforming_strings off, a backslash-quoted string hiding a COMMIT is refused too', async () => {
    const statement = "select 'a\\' , ' ; commit; begin; --'";
    await raw.query('BEGIN');
    await raw.query('SET LOCAL standard_conforming_strings = off');
    await raw.query("INSERT INTO t (note) VALUES ('before')");
    await raw.query(statement);
    await raw.query('ROLLBACK');
    expect(await rows()).toBe(1); // committed by the hidden COMMIT
    await cluster.sql('TRUNCATE t');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('SET LOCAL standard_conforming_strings = off');
        await tx.query("INSERT INTO t (note) VALUES ('before')");
        await expect(tx.query(statement)).rejects.toBeInstanceOf(TransactionControlError);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await rows()).toBe(0);
  });

  it('COMMIT inside a DO block or a procedure cannot be seen, and PostgreSQL refuses it inside a transaction (2D000)', async () => {
    for (const statement of ['DO $$ BEGIN COMMIT; END $$', 'CALL commit_inside()']) {
      await expect(
        withTransaction(pool, async (tx) => {
          await tx.query("INSERT INTO t (note) VALUES ('before')");
          await tx.query(statement);
        }),
      ).rejects.toMatchObject({ code: '2D000' });
      expect(await rows()).toBe(0);
    }
  });
});
