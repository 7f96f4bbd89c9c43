import type pg from 'pg';
import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, listInstallations } from '../../src/index.js';
import { inconsistentShop, SHOP_NAMES as N, type InconsistentShopFault } from '../../src/scenarios/inconsistent-shop.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

/** The SQLSTATE a statement fails with inside a transaction that is rolled back whatever happens, or undefined. */
async function failureIn(cluster: Cluster, database: string, sql: string): Promise<string | undefined> {
  const client = await cluster.connect(database, 'lab-probe');
  try {
    await client.query('BEGIN');
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as pg.DatabaseError).code;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}

describe.each(majors)('scenario: an inconsistent shop, PostgreSQL %i', (major) => {
  let cluster: Cluster;
  let broken: InconsistentShopFault;
  let whole: InconsistentShopFault;
  const t = (f: InconsistentShopFault, name: string) => `${quoteIdent(f.schema)}.${quoteIdent(name)}`;
  const q = async <R extends pg.QueryResultRow>(f: InconsistentShopFault, sql: string) => (await cluster.sql<R>(sql, [], f.database)).rows;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `shop${major}` });
    await cluster.sql('CREATE DATABASE shop');
    broken = await inconsistentShop(cluster, { database: 'shop' });
    whole = await inconsistentShop(cluster, { database: 'shop', damage: [] });
  });
  afterAll(() => cluster?.destroy());

  it('orphans: the seed documents\' LEFT JOIN finds them, while the catalog still calls each key valid', async () => {
    const orphaned = (f: InconsistentShopFault) =>
      q<{ id: string }>(f, `SELECT o.id::text FROM ${t(f, N.orders)} o LEFT JOIN ${t(f, N.customers)} c ON o.customer_id = c.id WHERE c.id IS NULL ORDER BY o.id`);
    expect((await orphaned(broken)).map((r) => Number(r.id))).toEqual(broken.written.orphanedOrders);
    expect(await orphaned(whole)).toEqual([]);
    const items = await q<{ n: number }>(broken, `SELECT count(*)::int AS n FROM ${t(broken, N.items)} WHERE order_id = ${broken.written.deletedOrder}`);
    expect(items[0]!.n).toBe(2);
    const ship = await q<{ n: number }>(broken, `SELECT count(*)::int AS n FROM ${t(broken, N.shipments)} WHERE (order_id, line_no) = (1, 99)`);
    expect(ship[0]!.n).toBe(1);
    const valid = await q<{ conname: string; convalidated: boolean }>(
      broken,
      `SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' AND connamespace = ${quoteLiteral(quoteIdent(broken.schema))}::regnamespace ORDER BY 1`,
    );
    expect(valid).toEqual([
      { conname: N.itemsOrderFk, convalidated: true },
      { conname: N.ordersCustomerFk, convalidated: true },
      { conname: N.paymentsCustomerFk, convalidated: false },
      { conname: N.shipmentsItemFk, convalidated: true },
    ]);
  });

  it('not-valid-fk: VALIDATE CONSTRAINT fails with 23503 on the rows from before it', async () => {
    expect(await failureIn(cluster, 'shop', `ALTER TABLE ${t(broken, N.payments)} VALIDATE CONSTRAINT ${quoteIdent(N.paymentsCustomerFk)}`)).toBe('23503');
  });

  it('disabled-triggers: the RI check triggers of shipments are off, so an orphan goes in from an ordinary session; not in the whole shop', async () => {
    const ri = await q<{ tgenabled: string }>(broken, `SELECT tgenabled FROM pg_trigger WHERE tgrelid = ${quoteLiteral(t(broken, N.shipments))}::regclass AND tgisinternal`);
    expect(ri.map((r) => r.tgenabled)).toEqual(['D', 'D']);
    const user = await q<{ tgenabled: string }>(broken, `SELECT tgenabled FROM pg_trigger WHERE tgname = ${quoteLiteral(N.ordersTrigger)} AND tgrelid = ${quoteLiteral(t(broken, N.orders))}::regclass`);
    expect(user).toEqual([{ tgenabled: 'D' }]);
    const orphan = (f: InconsistentShopFault) => `INSERT INTO ${t(f, N.shipments)} (order_id, line_no) VALUES (2, 77)`;
    expect(await failureIn(cluster, 'shop', orphan(broken))).toBeUndefined();
    expect(await failureIn(cluster, 'shop', orphan(whole))).toBe('23503');
  });

  it('duplicate: two rows hold one email; an index scan sees one of them, and REINDEX refuses with 23505', async () => {
    const count = async (f: InconsistentShopFault, scan: 'index' | 'heap') => {
      const client = await cluster.connect('shop', 'lab-probe');
      try {
        await client.query(scan === 'index' ? 'SET enable_seqscan = off' : 'SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off');
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t(f, N.customers)} WHERE email = $1`, [broken.written.duplicateEmail]);
        return rows[0]!.n;
      } finally {
        await client.end();
      }
    };
    expect(await count(broken, 'heap')).toBe(2);
    expect(await count(broken, 'index')).toBe(1);
    expect(await count(whole, 'heap')).toBe(1);
    const rows = await q<{ id: number }>(broken, `SELECT id FROM ${t(broken, N.customers)} WHERE email = ${quoteLiteral(broken.written.duplicateEmail)} ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(broken.written.duplicateIds);
    expect(await failureIn(cluster, 'shop', `REINDEX INDEX ${t(broken, N.emailKey)}`)).toBe('23505');
    expect(await failureIn(cluster, 'shop', `REINDEX INDEX ${t(whole, N.emailKey)}`)).toBeUndefined();
  });

  it('invariant: balances.sql returns the customer whose balance moved without a payment; order-totals.sql returns nothing', async () => {
    expect(await q(broken, broken.invariants['balances.sql']!)).toEqual([{ customer_id: broken.written.brokenBalance, balance: '136.00', paid: '36.00' }]);
    expect(await q(broken, broken.invariants['order-totals.sql']!)).toEqual([]);
    expect(await q(whole, whole.invariants['balances.sql']!)).toEqual([]);
  });

  // Last: a failed insert still takes its sequence value.
  it('sequence-behind: the next insert into customers and into orders fails with 23505 on the primary key', async () => {
    const seq = await q<{ last_value: string; is_called: boolean }>(broken, `SELECT last_value::text, is_called FROM ${t(broken, N.customersSequence)}`);
    expect(seq).toEqual([{ last_value: String(broken.written.customersNext - 1), is_called: true }]);
    expect(await failureIn(cluster, 'shop', `INSERT INTO ${t(broken, N.customers)} (name, email) VALUES ('new', 'new@example.com')`)).toBe('23505');
    expect(await failureIn(cluster, 'shop', `INSERT INTO ${t(broken, N.orders)} (customer_id, total) VALUES (1, 1)`)).toBe('23505');
    expect(await failureIn(cluster, 'shop', `INSERT INTO ${t(whole, N.customers)} (name, email) VALUES ('new', 'new@example.com')`)).toBeUndefined();
  });

  it('release drops the schema', async () => {
    await broken.release();
    await broken.release();
    expect(await q(whole, `SELECT 1 FROM pg_namespace WHERE nspname = ${quoteLiteral(broken.schema)}`)).toEqual([]);
  });
});
