import { Cluster, inconsistentShop, SHOP_NAMES as N, type InconsistentShopFault } from '@mvcc-doctor/lab';
import { quoteIdent, quoteLiteral } from '@mvcc-doctor/pg/quote';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_NAME } from '../../src/connect/safe-session.js';
import type { VerifyReport } from '../../src/verify/verify-report.js';
import { cli } from '../check/run-check.js';
import { urlOf, verifyDb } from './run-verify.js';

/**
 * Rows in the big tables, and the statement_timeout the probe gets: one process runs the anti-join (no parallel
 * workers in `big`), 0.7 s over 2M rows on a fast day here, several times the limit; 1M rows in parallel took 0.2 s,
 * under the 300 ms once given.
 */
const BIG = 2_000_000;
const LIMIT_MS = 150;

describe('verify is bounded: a statement_timeout, a held lock, no XID (PostgreSQL 18)', () => {
  let cluster: Cluster;
  let shop: InconsistentShopFault;

  beforeAll(async () => {
    // Autovacuum off: nothing but the test may assign XIDs.
    cluster = await Cluster.create({ label: 'verify-bounded', autovacuum: false });
    await cluster.sql('CREATE DATABASE big');
    await cluster.sql('ALTER DATABASE big SET max_parallel_workers_per_gather = 0');
    await cluster.sql('CREATE DATABASE shop');
    shop = await inconsistentShop(cluster, { database: 'shop', damage: [] });
    // Unlogged and loaded under replica (the key is valid and the rows match it): a quick load of a slow anti-join.
    await cluster.sql(
      `CREATE UNLOGGED TABLE big_parent (id int PRIMARY KEY);
       CREATE UNLOGGED TABLE big_child (id int, parent_id int CONSTRAINT big_child_parent_fkey REFERENCES big_parent);
       BEGIN;
       SET LOCAL session_replication_role = replica;
       INSERT INTO big_parent SELECT generate_series(1, ${BIG});
       INSERT INTO big_child SELECT g, g FROM generate_series(1, ${BIG}) g;
       COMMIT;`,
      [],
      'big',
    );
    await cluster.sql('VACUUM ANALYZE big_parent, big_child', [], 'big');
  });
  afterAll(() => cluster?.destroy());

  it('a huge anti-join that statement_timeout ends is reported as not finished, exit 3, never as clean', async () => {
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'big'), '--statement-timeout', `${LIMIT_MS}ms`, '--json']);
    const report = JSON.parse(stdout) as VerifyReport;
    expect(code).toBe(3);
    expect(report.exit_code).toBe(3);
    expect(report.findings).toEqual([]);
    expect(report.unfinished).toContainEqual({
      verification: 'orphan-rows',
      subject: { database: 'big', schema: 'public', table: 'big_child', constraint: 'big_child_parent_fkey' },
      reason: `statement_timeout (${LIMIT_MS} ms) ended it; run again with a larger --statement-timeout, off-peak`,
    });
    expect(report.verifications.find((v) => v.id === 'orphan-rows')).toMatchObject({ checked: 0, unfinished: 1 });

    const text = await cli(['verify', urlOf(cluster, 'big'), '--statement-timeout', `${LIMIT_MS}ms`]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/^Nothing wrong found so far, but not every verification finished \(see below\)\.$/m);
    expect(text.stdout).toMatch(new RegExp(`^not finished orphan-rows \\(db big, public\\.big_child, constraint big_child_parent_fkey\\): statement_timeout \\(${LIMIT_MS} ms\\) ended it`, 'm'));
  });

  it('the same anti-join with time enough finishes, and the healthy table is clean (exit 0)', async () => {
    const report = await verifyDb(cluster, 'big', { only: ['orphan-rows'], limits: { statementTimeoutMs: 120_000, lockTimeoutMs: 1000 } });
    expect(report).toMatchObject({ exit_code: 0, findings: [], unfinished: [] });
    expect(report.verifications).toEqual([expect.objectContaining({ id: 'orphan-rows', checked: 1 })]);
  });

  it('a table someone holds ACCESS EXCLUSIVE: its probes end at lock_timeout, the rest of the shop is checked', async () => {
    const holder = await cluster.connect('shop', 'lab-lock-holder');
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${quoteIdent(shop.schema)}.${quoteIdent(N.orders)} IN ACCESS EXCLUSIVE MODE`);
      const report = await verifyDb(cluster, 'shop', { schema: shop.schema, limits: { statementTimeoutMs: 30_000, lockTimeoutMs: 100 } });
      expect(report.exit_code).toBe(3);
      expect(report.findings).toEqual([]);
      const locked = report.unfinished.map((g) => [g.verification, g.subject?.table, g.subject?.constraint ?? g.subject?.index ?? g.subject?.sequence]);
      // orders is read by its own key's anti-join (as child), by the items' (as parent), for its sequence and its primary key.
      expect(locked).toEqual(
        expect.arrayContaining([
          ['orphan-rows', N.items, N.itemsOrderFk],
          ['orphan-rows', N.orders, N.ordersCustomerFk],
          ['sequence-behind', N.orders, `${shop.schema}.${N.ordersSequence}`],
          ['unique-duplicates', N.orders, 'orders_pkey'],
        ]),
      );
      expect(report.unfinished.every((g) => g.reason === 'another session holds a conflicting lock and lock_timeout (100 ms) ended the wait')).toBe(true);
      expect(report.verifications.find((v) => v.id === 'orphan-rows')).toMatchObject({ checked: 1, unfinished: 2 });
      // Nothing of ours is left waiting behind the holder.
      const { rows } = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [APPLICATION_NAME], 'shop');
      expect(rows[0]!.n).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('takes no transaction ID and writes nothing: txid_current moves by the probes alone, and its sessions never hold an XID', async () => {
    const observer: pg.Client = await cluster.connect('shop', 'lab-observer');
    const xids: (string | null)[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        const { rows } = await observer.query<{ xid: string | null }>('SELECT backend_xid::text AS xid FROM pg_stat_activity WHERE application_name = $1', [APPLICATION_NAME]);
        xids.push(...rows.map((r) => r.xid));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      const before = Number((await cluster.sql<{ x: string }>('SELECT txid_current()::text AS x')).rows[0]!.x);
      const report = await verifyDb(cluster, 'shop', { invariants: Object.entries(shop.invariants).map(([name, sql]) => ({ name, sql })) });
      const after = Number((await cluster.sql<{ x: string }>('SELECT txid_current()::text AS x')).rows[0]!.x);
      expect(report.exit_code).toBe(0);
      expect(after - before).toBe(1);
      expect(xids.length).toBeGreaterThan(0);
      expect(xids.every((x) => x === null)).toBe(true);
    } finally {
      done = true;
      await watching;
      await observer.end();
    }
  });

  it('an invariant that tries to write, or holds two statements, is refused and reported as not finished', async () => {
    const report = await verifyDb(cluster, 'shop', {
      only: ['invariant-violated'],
      invariants: [
        { name: 'writes.sql', sql: `WITH gone AS (DELETE FROM ${quoteIdent(shop.schema)}.${quoteIdent(N.payments)} RETURNING *) SELECT * FROM gone` },
        { name: 'two.sql', sql: `SELECT 1; DROP TABLE ${quoteIdent(shop.schema)}.${quoteIdent(N.payments)}` },
        { name: 'nextval.sql', sql: `SELECT nextval(${quoteLiteral(`${quoteIdent(shop.schema)}.${quoteIdent(N.paymentsSequence)}`)})` },
      ],
    });
    expect(report.unfinished.map((g) => [g.subject?.file, g.reason.slice(0, 5)])).toEqual([
      ['writes.sql', '0A000'],
      ['two.sql', '42601'],
      ['nextval.sql', '25006'],
    ]);
    const { rows } = await cluster.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(shop.schema)}.${quoteIdent(N.payments)}`, [], 'shop');
    expect(rows[0]!.n).toBe(100);
  });
});
