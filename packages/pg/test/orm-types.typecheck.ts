// Compiled by `npm run typecheck`, never run: the ORM integrations are used here exactly as an app would, with no
// cast anywhere. The @ts-expect-error lines prove the types are the ORMs' own, not `any` (an unused directive fails
// the typecheck).
import { eq } from 'drizzle-orm';
import { integer, pgTable } from 'drizzle-orm/pg-core';
import type { Knex } from 'knex';
import type { Kysely, Transaction } from 'kysely';
import pg from 'pg';
import { taggedPool } from '../src/index.js';
import { drizzle } from '../src/drizzle.js';
import { createKnex } from '../src/knex.js';
import { createKysely } from '../src/kysely.js';

interface DB {
  accounts: { id: number; balance: number };
}
const accounts = pgTable('accounts', { id: integer('id').primaryKey(), balance: integer('balance').notNull() });

export async function kysely(pool: pg.Pool): Promise<number> {
  const db: Kysely<DB> = createKysely<DB>({ pool, transaction: { statementTimeout: 5_000 } });
  const balance: number = await db
    .transaction()
    .setIsolationLevel('serializable')
    .execute(async (trx: Transaction<DB>) => {
      const row = await trx.selectFrom('accounts').select('balance').where('id', '=', 1).executeTakeFirstOrThrow();
      // @ts-expect-error: no such table
      await trx.selectFrom('nope').selectAll().execute();
      return row.balance;
    });
  const controlled = await db.startTransaction().execute();
  const savepoint = await controlled.savepoint('a').execute();
  await savepoint.releaseSavepoint('a').execute();
  await controlled.commit().execute();
  return balance;
}

export async function drizzleOrm(pool: pg.Pool, client: pg.Client): Promise<number> {
  const db = drizzle(pool, { transaction: { app: 'orders' } });
  const fromPool: pg.Pool = db.$client;
  const single = drizzle(client);
  const fromClient: pg.Client = single.$client;
  void fromPool;
  void fromClient;
  return db.transaction(
    async (tx) => {
      const rows = await tx.select().from(accounts).where(eq(accounts.id, 1));
      const nested: number = await tx.transaction(async (inner) => (await inner.select().from(accounts)).length);
      // @ts-expect-error: balance is a number
      const wrong: string = rows[0]!.balance;
      void wrong;
      return rows[0]!.balance + nested;
    },
    { isolationLevel: 'repeatable read' },
  );
}

export async function knex(connection: string): Promise<number> {
  const db: Knex = createKnex({ connection, pool: { max: 5 }, transaction: { app: 'jobs' } });
  const count: number = await db.transaction(
    async (trx: Knex.Transaction) => {
      const nested = await trx.transaction(async (inner) => inner('accounts').count<{ count: string }[]>('* as count'));
      return Number(nested[0]!.count);
    },
    { isolationLevel: 'serializable' },
  );
  const byHand: Knex.Transaction = await db.transaction();
  await byHand.commit();
  return count;
}

export function pool(raw: pg.Pool): pg.Pool {
  // The tagged pool keeps the pool's own type.
  return taggedPool(raw);
}
