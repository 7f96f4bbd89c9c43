import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import type { Cluster } from '../cluster.js';
import { once, uniqueName, type Fault } from './fault.js';

/** The damage an incident leaves in application data; each is written for real, as the server allows it. */
export type ShopDamage = 'orphans' | 'not-valid-fk' | 'sequence-behind' | 'disabled-triggers' | 'duplicate' | 'invariant';

export const ALL_SHOP_DAMAGE: readonly ShopDamage[] = Object.freeze(['orphans', 'not-valid-fk', 'sequence-behind', 'disabled-triggers', 'duplicate', 'invariant']);

export interface InconsistentShopOptions {
  database?: string;
  /** What to break. Default: everything; [] gives the same shop, whole (the healthy contrast). */
  damage?: readonly ShopDamage[];
}

/** Names in the shop; tables and constraints are unquoted, as the catalog holds them. */
export const SHOP_NAMES = Object.freeze({
  customers: 'customers',
  orders: 'orders',
  /** Mixed case and a space: every tool must quote it. */
  items: 'Order Items',
  shipments: 'shipments',
  payments: 'payments',
  ordersCustomerFk: 'orders_customer_id_fkey',
  itemsOrderFk: 'Order Items_order_id_fkey',
  /** Two columns: (order_id, line_no) → "Order Items"(order_id, "Line No"). */
  shipmentsItemFk: 'shipments_item_fkey',
  /** Added NOT VALID by the not-valid-fk damage; absent otherwise. */
  paymentsCustomerFk: 'payments_customer_id_fkey',
  emailKey: 'customers_email_key',
  customersSequence: 'customers_id_seq',
  ordersSequence: 'orders_id_seq',
  paymentsSequence: 'payments_id_seq',
  ordersTrigger: 'orders_total_check',
});

export interface InconsistentShopFault extends Fault {
  database: string;
  /** The schema, unquoted (mixed case and a space, so it must be quoted). */
  schema: string;
  damage: readonly ShopDamage[];
  /** Invariant queries by file name, as `verify --invariants` reads them: balances.sql is broken by "invariant", order-totals.sql never. */
  invariants: Record<string, string>;
  /** What each damage wrote, to compare a tool's findings with. */
  written: {
    /** Deleted under replica: its orders (ids) are orphaned, and so are its payments when the key on payments exists. */
    deletedCustomer: number;
    orphanedOrders: number[];
    /** Deleted under replica: its items are orphaned (ON DELETE CASCADE is a trigger too). */
    deletedOrder: number;
    /** A shipment of an item that never existed: (order_id, line_no). */
    orphanShipment: [number, number];
    /** The payment of a customer that never existed, from before the NOT VALID key. */
    orphanPaymentCustomer: number;
    /** The email held by two customers, and their ids. */
    duplicateEmail: string;
    duplicateIds: [number, number];
    /** Sequences set behind: next value and the column's maximum. */
    customersNext: number;
    customersMax: number;
    ordersNext: number;
    ordersMax: number;
    /** The customer whose balance no longer matches their payments. */
    brokenBalance: number;
  };
}

const CUSTOMERS = 50;
const ORDERS = 200;

/**
 * A small shop (customers, orders, "Order Items", shipments with a two-column key, payments) made whole, then
 * damaged the ways an incident and its rescue leave data:
 *
 * - orphans: under `SET LOCAL session_replication_role = replica` (which skips RI triggers, as logical
 *   replication and restores use it) a customer with orders and an order with items are deleted, and a
 *   shipment of a non-existent item is inserted;
 * - not-valid-fk: a payment of a customer that never existed, then the key on payments added NOT VALID;
 * - sequence-behind: the customers serial set back with setval, the orders identity with RESTART;
 * - disabled-triggers: `ALTER TABLE shipments DISABLE TRIGGER ALL` (its RI check triggers) and one user trigger;
 * - duplicate: a second customer with an existing email under the UNIQUE constraint. PostgreSQL refuses that
 *   in every ordinary way, so the lab (superuser) sets `pg_index.indisready = false` on the constraint's index —
 *   the state CREATE INDEX CONCURRENTLY starts in, where inserts skip the index and so its unique check — inserts
 *   the row, and sets it back. The index then lacks that row's entry: the duplicate is invisible to index scans,
 *   and amcheck's bt_index_check with heapallindexed reports the index corrupt, as after real index damage;
 * - invariant: one customer's balance raised without a payment (balances.sql then returns that customer).
 */
export async function inconsistentShop(cluster: Cluster, options: InconsistentShopOptions = {}): Promise<InconsistentShopFault> {
  const database = options.database ?? 'postgres';
  const damage = options.damage ?? ALL_SHOP_DAMAGE;
  const schema = `Lab Shop ${uniqueName('s')}`;
  const s = quoteIdent(schema);
  const n = SHOP_NAMES;
  const t = (name: string) => `${s}.${quoteIdent(name)}`;
  const sql = (text: string) => cluster.sql(text, [], database);

  await sql(`CREATE SCHEMA ${s}`);
  await sql(`
    CREATE TABLE ${t(n.customers)} (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL,
                                    balance numeric(12,2) NOT NULL DEFAULT 0, CONSTRAINT ${quoteIdent(n.emailKey)} UNIQUE (email));
    CREATE TABLE ${t(n.orders)} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                                 customer_id int NOT NULL CONSTRAINT ${quoteIdent(n.ordersCustomerFk)} REFERENCES ${t(n.customers)},
                                 total numeric(12,2) NOT NULL);
    CREATE TABLE ${t(n.items)} (order_id bigint CONSTRAINT ${quoteIdent(n.itemsOrderFk)} REFERENCES ${t(n.orders)} ON DELETE CASCADE,
                                "Line No" int, sku text NOT NULL, amount numeric(12,2) NOT NULL, PRIMARY KEY (order_id, "Line No"));
    CREATE TABLE ${t(n.shipments)} (id serial PRIMARY KEY, order_id bigint NOT NULL, line_no int NOT NULL,
                                    CONSTRAINT ${quoteIdent(n.shipmentsItemFk)} FOREIGN KEY (order_id, line_no) REFERENCES ${t(n.items)} (order_id, "Line No"));
    CREATE TABLE ${t(n.payments)} (id serial PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2) NOT NULL);
    CREATE FUNCTION ${s}.refuse_negative_total() RETURNS trigger LANGUAGE plpgsql AS
      $$BEGIN IF NEW.total < 0 THEN RAISE EXCEPTION 'negative total'; END IF; RETURN NEW; END$$;
    CREATE TRIGGER ${quoteIdent(n.ordersTrigger)} BEFORE INSERT OR UPDATE ON ${t(n.orders)} FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_negative_total();
  `);
  await sql(`
    INSERT INTO ${t(n.customers)} (name, email) SELECT 'Customer ' || g, 'customer' || g || '@example.com' FROM generate_series(1, ${CUSTOMERS}) g;
    INSERT INTO ${t(n.payments)} (customer_id, amount) SELECT g, g FROM generate_series(1, ${CUSTOMERS}) g UNION ALL SELECT g, 2 * g FROM generate_series(1, ${CUSTOMERS}) g;
    UPDATE ${t(n.customers)} c SET balance = (SELECT sum(amount) FROM ${t(n.payments)} p WHERE p.customer_id = c.id);
    INSERT INTO ${t(n.orders)} (customer_id, total) SELECT (g - 1) % ${CUSTOMERS} + 1, 10 + g FROM generate_series(1, ${ORDERS}) g;
    INSERT INTO ${t(n.items)} SELECT g, 1, 'sku-a', 10 FROM generate_series(1, ${ORDERS}) g UNION ALL SELECT g, 2, 'sku-b', g FROM generate_series(1, ${ORDERS}) g;
    INSERT INTO ${t(n.shipments)} (order_id, line_no) SELECT g, l FROM generate_series(1, ${ORDERS / 2}) g, generate_series(1, 2) l;
    ANALYZE ${t(n.customers)}, ${t(n.orders)}, ${t(n.items)}, ${t(n.shipments)}, ${t(n.payments)};
  `);

  const written: InconsistentShopFault['written'] = {
    deletedCustomer: 7,
    orphanedOrders: Array.from({ length: ORDERS }, (_, i) => i + 1).filter((id) => (id - 1) % CUSTOMERS + 1 === 7),
    deletedOrder: 3,
    orphanShipment: [1, 99],
    orphanPaymentCustomer: 4242,
    duplicateEmail: 'customer3@example.com',
    duplicateIds: [3, CUSTOMERS + 1],
    customersNext: 11,
    customersMax: damage.includes('duplicate') ? CUSTOMERS + 1 : CUSTOMERS,
    ordersNext: 5,
    ordersMax: ORDERS,
    brokenBalance: 12,
  };

  if (damage.includes('duplicate')) {
    const index = quoteLiteral(`${s}.${quoteIdent(n.emailKey)}`);
    await sql(`UPDATE pg_index SET indisready = false WHERE indexrelid = ${index}::regclass`);
    await sql(`INSERT INTO ${t(n.customers)} (name, email) VALUES ('Customer 3, again', ${quoteLiteral(written.duplicateEmail)})`);
    await sql(`UPDATE pg_index SET indisready = true WHERE indexrelid = ${index}::regclass`);
  }
  if (damage.includes('not-valid-fk')) {
    await sql(`INSERT INTO ${t(n.payments)} (customer_id, amount) VALUES (${written.orphanPaymentCustomer}, 0)`);
    await sql(`ALTER TABLE ${t(n.payments)} ADD CONSTRAINT ${quoteIdent(n.paymentsCustomerFk)} FOREIGN KEY (customer_id) REFERENCES ${t(n.customers)} NOT VALID`);
  }
  if (damage.includes('orphans')) {
    await sql(`
      BEGIN;
      SET LOCAL session_replication_role = replica;
      DELETE FROM ${t(n.customers)} WHERE id = ${written.deletedCustomer};
      DELETE FROM ${t(n.orders)} WHERE id = ${written.deletedOrder};
      INSERT INTO ${t(n.shipments)} (order_id, line_no) VALUES (${written.orphanShipment[0]}, ${written.orphanShipment[1]});
      COMMIT;
    `);
  }
  if (damage.includes('sequence-behind')) {
    await sql(`SELECT setval(${quoteLiteral(`${s}.${quoteIdent(n.customersSequence)}`)}, ${written.customersNext - 1})`);
    await sql(`ALTER TABLE ${t(n.orders)} ALTER COLUMN id RESTART WITH ${written.ordersNext}`);
  }
  if (damage.includes('disabled-triggers')) {
    await sql(`ALTER TABLE ${t(n.shipments)} DISABLE TRIGGER ALL`);
    await sql(`ALTER TABLE ${t(n.orders)} DISABLE TRIGGER ${quoteIdent(n.ordersTrigger)}`);
  }
  if (damage.includes('invariant')) {
    await sql(`UPDATE ${t(n.customers)} SET balance = balance + 100 WHERE id = ${written.brokenBalance}`);
  }

  const invariants = {
    'balances.sql': `-- every customer's balance is the sum of their payments
SELECT c.id AS customer_id, c.balance, coalesce(p.paid, 0) AS paid
  FROM ${t(n.customers)} c
  LEFT JOIN (SELECT customer_id, sum(amount) AS paid FROM ${t(n.payments)} GROUP BY customer_id) p ON p.customer_id = c.id
 WHERE c.balance <> coalesce(p.paid, 0)
 ORDER BY c.id;
`,
    'order-totals.sql': `-- every order's total is the sum of its items
SELECT o.id AS order_id, o.total, coalesce(sum(i.amount), 0) AS items
  FROM ${t(n.orders)} o LEFT JOIN ${t(n.items)} i ON i.order_id = o.id
 GROUP BY o.id, o.total
HAVING o.total <> coalesce(sum(i.amount), 0);
`,
  };

  return {
    database,
    schema,
    damage,
    invariants,
    written,
    release: once(async () => {
      await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    }),
  };
}
