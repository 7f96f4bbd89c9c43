import { rmSync } from 'node:fs';
import { Cluster, inconsistentShop, listInstallations, SHOP_NAMES as N, type InconsistentShopFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/verify-report.js';
import { cli } from '../check/run-check.js';
import { findingsOf, invariantsDir, urlOf, verifyDb } from './run-verify.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));
const NEEDS_AMCHECK = /^needs amcheck \(CREATE EXTENSION amcheck in database "\w+"; verify never creates it\)$/;

describe.each(majors)('verify on a shop damaged by an incident, and on a whole one (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  let broken: InconsistentShopFault;
  let whole: InconsistentShopFault;
  let brokenDir: string;
  let wholeDir: string;
  let report: VerifyReport;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `verify${major}` });
    await cluster.sql('CREATE DATABASE shop');
    await cluster.sql('CREATE DATABASE whole');
    broken = await inconsistentShop(cluster, { database: 'shop' });
    whole = await inconsistentShop(cluster, { database: 'whole', damage: [] });
    brokenDir = invariantsDir(broken);
    wholeDir = invariantsDir(whole);
  });
  afterAll(async () => {
    for (const dir of [brokenDir, wholeDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    await cluster?.destroy();
  });

  it('healthy: exit 0, says nothing is wrong, and names what it checked and what it skipped (amcheck is not installed)', async () => {
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'whole'), '--invariants', wholeDir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Nothing is wrong: no orphan rows, duplicate keys, lagging sequences, unenforced keys or broken invariants\.$/m);
    expect(stdout).toMatch(/^checked in [\d.]+s: 3 foreign keys, 1 trigger, 4 sequences, 6 unique keys, 2 invariants$/m);
    expect(stdout).not.toMatch(/^(CRITICAL|WARNING|not finished) /m);
    expect(stdout).toMatch(/^skipped index-corruption \(db whole\): needs amcheck \(CREATE EXTENSION amcheck in database "whole"; verify never creates it\)$/m);
    expect(stdout).toMatch(/0 critical, 0 warning, 0 not finished, 2 skipped — exit 0\n$/);

    const json = await cli(['verify', urlOf(cluster, 'whole'), '--invariants', wholeDir, '--json']);
    const doc = JSON.parse(json.stdout) as VerifyReport;
    expect(doc).toMatchObject({ tool: 'mvcc-doctor', command: 'verify', schema_version: 1, findings: [], unfinished: [], exit_code: 0 });
    expect(doc.skipped.map((s) => [s.verification, s.reason])).toEqual([
      ['index-corruption', expect.stringMatching(NEEDS_AMCHECK)],
      ['heap-corruption', expect.stringMatching(NEEDS_AMCHECK)],
    ]);
    const checked = Object.fromEntries(doc.verifications.map((v) => [v.id, v.checked]));
    expect(checked).toEqual({
      'fk-not-valid': 3,
      'fk-triggers-disabled': 3,
      'triggers-disabled': 1,
      'sequence-behind': 4,
      'orphan-rows': 3,
      'unique-duplicates': 6,
      'invariant-violated': 2,
      'index-corruption': 0,
      'heap-corruption': 0,
    });
  });

  it('damaged: exit 2, each fault found once, the most severe first', async () => {
    report = await verifyDb(cluster, 'shop', { invariants: Object.entries(broken.invariants).map(([name, sql]) => ({ name, sql })) });
    expect(report.exit_code).toBe(2);
    expect(report.unfinished).toEqual([]);
    expect(report.summary).toEqual({ critical: 6, warning: 5, info: 0, skipped: 2, unfinished: 0 });
    expect(report.findings.map((f) => f.severity)).toEqual([...Array(6).fill('critical'), ...Array(5).fill('warning')]);
  });

  it('orphan-rows: every orphan of every key, named by the child\'s primary key, a two-column key and quoted names included', () => {
    const byConstraint = Object.fromEntries(findingsOf(report, 'orphan-rows').map((f) => [f.subject.constraint ?? '', f]));
    expect(Object.keys(byConstraint).sort()).toEqual([N.itemsOrderFk, N.ordersCustomerFk, N.paymentsCustomerFk, N.shipmentsItemFk]);

    const orders = byConstraint[N.ordersCustomerFk]!;
    expect(orders.subject).toEqual({ database: 'shop', schema: broken.schema, table: N.orders, constraint: N.ordersCustomerFk });
    expect(orders.evidence.map((r) => [r.id, r.customer_id])).toEqual(broken.written.orphanedOrders.map((id) => [String(id), String(broken.written.deletedCustomer)]));
    expect(orders.evidence[0]!.ctid).toMatch(/^\(\d+,\d+\)$/);
    expect(orders.summary).toMatch(/^4 row\(s\) of "Lab Shop s_\w+"\."orders" reference no row of "Lab Shop s_\w+"\."customers" \(orders_customer_id_fkey: FOREIGN KEY \(customer_id\) REFERENCES/);

    const items = byConstraint[N.itemsOrderFk]!;
    expect(items.subject.table).toBe('Order Items');
    expect(items.evidence.map((r) => [r.order_id, r['Line No']])).toEqual([['3', '1'], ['3', '2']]);

    const shipments = byConstraint[N.shipmentsItemFk]!;
    expect(shipments.evidence).toEqual([{ ctid: expect.any(String), id: expect.any(String), order_id: '1', line_no: '99' }]);

    const payments = byConstraint[N.paymentsCustomerFk]!;
    expect(payments.evidence.map((r) => String(r.customer_id)).sort()).toEqual(['4242', '7', '7']);
    // NOT VALID: the fix ends with validating it.
    expect(payments.remediation.at(-1)).toMatch(/^ALTER TABLE "Lab Shop s_\w+"\."payments" VALIDATE CONSTRAINT "payments_customer_id_fkey";/);
  });

  it('the fix the orphan finding prints finds exactly the orphans when run as printed', async () => {
    const orders = findingsOf(report, 'orphan-rows').find((f) => f.subject.constraint === N.ordersCustomerFk)!;
    const select = orders.remediation[0]!.split('\n').slice(1).join('\n');
    const { rows } = await cluster.sql<{ id: string }>(select, [], 'shop');
    expect(rows.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(broken.written.orphanedOrders);
  });

  it('fk-not-valid and fk-triggers-disabled: the NOT VALID key on payments, the RI triggers switched off on shipments', () => {
    expect(findingsOf(report, 'fk-not-valid').map((f) => [f.subject.table, f.subject.constraint, f.severity])).toEqual([[N.payments, N.paymentsCustomerFk, 'warning']]);
    const [off, ...more] = findingsOf(report, 'fk-triggers-disabled');
    expect(more).toEqual([]);
    expect(off!.subject).toMatchObject({ table: N.shipments, constraint: N.shipmentsItemFk });
    expect(off!.evidence).toEqual([
      expect.objectContaining({ trigger: expect.stringMatching(/^RI_ConstraintTrigger_c_\d+$/), side: 'child', tgenabled: 'D' }),
      expect.objectContaining({ trigger: expect.stringMatching(/^RI_ConstraintTrigger_c_\d+$/), side: 'child', tgenabled: 'D' }),
    ]);
    expect(off!.remediation[0]).toMatch(/^ALTER TABLE "Lab Shop s_\w+"\."shipments" ENABLE TRIGGER "RI_ConstraintTrigger_c_\d+";$/);
  });

  it('triggers-disabled: the user trigger on orders', () => {
    const [f, ...more] = findingsOf(report, 'triggers-disabled');
    expect(more).toEqual([]);
    expect(f!.subject).toMatchObject({ table: N.orders, trigger: N.ordersTrigger });
    expect(f!.evidence[0]).toMatchObject({ trigger: N.ordersTrigger, tgenabled: 'D' });
  });

  it('sequence-behind: the serial of customers and the identity of orders, not the sequences that are fine', () => {
    const found = findingsOf(report, 'sequence-behind').map((f) => f.evidence[0]);
    expect(found).toEqual([
      expect.objectContaining({ sequence: `${broken.schema}.${N.customersSequence}`, kind: 'serial', next_value: String(broken.written.customersNext), column_max: String(broken.written.customersMax) }),
      expect.objectContaining({ sequence: `${broken.schema}.${N.ordersSequence}`, kind: 'identity', next_value: String(broken.written.ordersNext), column_max: String(broken.written.ordersMax) }),
    ]);
  });

  it('unique-duplicates: the email held twice, read from the heap although the index has one entry for it', () => {
    const [f, ...more] = findingsOf(report, 'unique-duplicates');
    expect(more).toEqual([]);
    expect(f!.subject).toMatchObject({ table: N.customers, constraint: N.emailKey, index: N.emailKey });
    expect(f!.evidence).toEqual([{ email: broken.written.duplicateEmail, rows: 2, ctids: [expect.stringMatching(/^\(\d+,\d+\)$/), expect.stringMatching(/^\(\d+,\d+\)$/)] }]);
    expect(f!.remediation.at(-1)).toMatch(/REINDEX INDEX CONCURRENTLY "Lab Shop s_\w+"\."customers_email_key";$/);
  });

  it('invariant-violated: balances.sql with the customer it returns; order-totals.sql holds', () => {
    const [f, ...more] = findingsOf(report, 'invariant-violated');
    expect(more).toEqual([]);
    expect(f!.subject).toEqual({ database: 'shop', file: 'balances.sql' });
    expect(f!.summary).toBe('Invariant balances.sql is violated: 1 row(s) break it.');
    expect(f!.evidence).toEqual([{ customer_id: broken.written.brokenBalance, balance: '136.00', paid: '36.00' }]);
  });

  it('the CLI: exit 2, every finding id in the text, --rows caps the sample while the count stays exact', async () => {
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'shop'), '--invariants', brokenDir, '--rows', '2', '--no-color']);
    expect(code).toBe(2);
    for (const id of ['orphan-rows', 'unique-duplicates', 'invariant-violated', 'fk-not-valid', 'fk-triggers-disabled', 'triggers-disabled', 'sequence-behind']) expect(stdout).toContain(id);
    expect(stdout).toMatch(/^ {2}4 row\(s\) of "Lab Shop s_\w+"\."orders" reference no row/m);
    const json = JSON.parse((await cli(['verify', urlOf(cluster, 'shop'), '--rows', '2', '--json'])).stdout) as VerifyReport;
    const orders = findingsOf(json, 'orphan-rows').find((f) => f.subject.constraint === N.ordersCustomerFk)!;
    expect(orders.evidence).toHaveLength(2);
    expect(orders.summary).toMatch(/^4 row\(s\) of /);
    expect(stdout).toMatch(/6 critical, 5 warning, 0 not finished, 2 skipped — exit 2\n$/);
    const md = await cli(['verify', urlOf(cluster, 'shop'), '--markdown']);
    expect(md.code).toBe(2);
    expect(md.stdout).toMatch(/^## CRITICAL `orphan-rows` — db shop, Lab Shop s_\w+\.orders, constraint orders_customer_id_fkey$/m);
  });

  it('--schema limits verify to one schema: the damaged one is not looked at from another', async () => {
    await cluster.sql('CREATE SCHEMA elsewhere', [], 'shop');
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'shop'), '--schema', 'elsewhere', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as VerifyReport).findings).toEqual([]);
    const missing = await cli(['verify', urlOf(cluster, 'shop'), '--schema', 'nowhere']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('mvcc-doctor: usage error: schema "nowhere" does not exist in database "shop"\n');
  });

  it('an invariants directory that is missing or empty is refused before connecting', async () => {
    const missing = await cli(['verify', 'postgresql://nobody@127.0.0.1:1/x', '--invariants', '/nonexistent/invariants']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^mvcc-doctor: cannot read: cannot read --invariants \/nonexistent\/invariants: /);
  });
});
