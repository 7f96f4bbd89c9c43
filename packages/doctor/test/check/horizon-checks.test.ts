import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/lab/index.js';
import { deadButNotRemovable } from '../../src/lab/evidence.js';
import { longRunningStatement } from '../../src/lab/scenarios/long-running-statement.js';
import { orphanedPreparedTransaction } from '../../src/lab/scenarios/orphaned-prepared-transaction.js';
import { replicationSlots } from '../../src/lab/scenarios/replication-slots.js';
import { check, findingsOf, statsShow, vacuumCounted } from './run-check.js';

const ALL_ZERO = { idleInTransactionSeconds: 0, longTransactionSeconds: 0, preparedTransactionSeconds: 0, horizonXids: 0, horizonSeconds: 0, slotXids: 0 };

describe.each([18, 14])('horizon checks on PostgreSQL %i', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `horizon${major}` });
    await cluster.sql('CREATE DATABASE shop');
  });
  afterAll(() => cluster?.destroy());

  it('a healthy cluster: no horizon finding, even with every threshold at zero', async () => {
    const report = await check(cluster, { thresholds: ALL_ZERO });
    for (const id of ['xmin-horizon', 'idle-in-transaction', 'long-transaction', 'prepared-transaction', 'replication-slot', 'standby-feedback', 'dead-tuples']) {
      expect(findingsOf(report, id), id).toEqual([]);
    }
    expect(report.skipped).toEqual([]);
  });

  it('dead-tuples: removable dead tuples (no holder) are reported as removable now, at info', async () => {
    const table = 'public.churn';
    await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off)`);
    try {
      await cluster.sql(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 3000) g`);
      await cluster.sql(`DELETE FROM ${table} WHERE id <= 1000`);
      await statsShow(cluster, table, { dead: 1000 });
      const [dead] = findingsOf(await check(cluster, { thresholds: { deadTuples: 500 } }), 'dead-tuples').filter((f) => f.subject.table === 'churn');
      expect(dead).toMatchObject({ severity: 'info', subject: { database: 'postgres', schema: 'public', table: 'churn' } });
      expect(dead!.summary).toContain('VACUUM can remove them now');
      expect(dead!.evidence[0]).toMatchObject({ dead_tuples: 1000, live_tuples: 2000, held_by: null });
      expect(dead!.remediation).toEqual(['VACUUM (VERBOSE) "public"."churn";']);
    } finally {
      await cluster.sql(`DROP TABLE ${table}`);
    }
  });

  it('long-transaction: a running statement pinning the horizon, not reported as idle', async () => {
    const fault = await longRunningStatement(cluster, { deadRows: 300, applicationName: 'nightly-report' });
    try {
      const report = await check(cluster, { thresholds: { longTransactionSeconds: 0, idleInTransactionSeconds: 0 } });
      expect(findingsOf(report, 'idle-in-transaction')).toEqual([]);
      const [finding, ...more] = findingsOf(report, 'long-transaction');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', pid: fault.pid } });
      expect(finding!.evidence[0]).toMatchObject({ pid: fault.pid, state: 'active', application_name: 'nightly-report', backend_xmin: fault.xmin, last_query: fault.query });
      expect(finding!.remediation[0]).toBe(`SELECT pg_cancel_backend(${fault.pid});  -- cancel the statement first`);

      // Default thresholds: silent while seconds old, a warning once VACUUM shows the kept dead tuples.
      expect(findingsOf(await check(cluster), 'long-transaction')).toEqual([]);
      expect(deadButNotRemovable(await vacuumCounted(cluster, fault.table, 300))).toBe(300);
      expect(findingsOf(await check(cluster), 'long-transaction')).toMatchObject([{ severity: 'warning', subject: { pid: fault.pid } }]);
    } finally {
      await fault.release();
    }
  });

  it('prepared-transaction: subject is database and gid; the fix runs ROLLBACK PREPARED in the owning database', async () => {
    const fault = await orphanedPreparedTransaction(cluster, { database: 'shop', deadRows: 200 });
    try {
      expect(findingsOf(await check(cluster), 'prepared-transaction')).toEqual([]); // seconds old, production threshold 60 s
      const report = await check(cluster, { thresholds: { preparedTransactionSeconds: 0 } });
      const [finding, ...more] = findingsOf(report, 'prepared-transaction');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'shop', gid: fault.gid } });
      expect(finding!.summary).toContain(`owner ${fault.owner}, database "shop"`);
      expect(finding!.evidence[0]).toMatchObject({ gid: fault.gid, database: 'shop', owner: 'postgres', xid: fault.xid });
      // Its locks live in "shop": named as "shop" itself names them (a name read from "postgres" could be another table's).
      const locks = finding!.evidence.filter((e) => 'lock' in e);
      expect(locks).toHaveLength(fault.locks.filter((l) => l.locktype !== 'transactionid').length);
      for (const held of fault.locks.filter((l) => l.locktype === 'relation')) {
        // Our sessions run with search_path=pg_catalog, so the name is always schema-qualified.
        const qualified = held.relation!.includes('.') ? held.relation : `public.${held.relation}`;
        expect(locks).toContainEqual({ lock: held.mode, locktype: 'relation', relation: qualified });
      }
      expect(finding!.remediation.join('\n')).toContain(`-- in database "shop", once the transaction manager confirms it is abandoned:\nROLLBACK PREPARED '${fault.gid}';`);

      // It pins the horizon of "shop": after a VACUUM there, xmin-horizon names it, with the kept table.
      expect(deadButNotRemovable(await vacuumCounted(cluster, fault.table, 200, 'shop'))).toBe(200);
      const [horizon] = findingsOf(await check(cluster), 'xmin-horizon');
      expect(horizon).toMatchObject({ severity: 'warning', subject: { database: 'shop', gid: fault.gid } });
      expect(horizon!.evidence).toContainEqual(expect.objectContaining({ database: 'shop', table: fault.table, dead_tuples_not_removable: 200 }));
    } finally {
      await fault.release();
    }
  });

  it('replication-slot: an inactive logical slot (catalog_xmin) and an inactive physical slot (xmin), at default thresholds', async () => {
    const fault = await replicationSlots(cluster, { deadRows: 100 });
    try {
      const findings = findingsOf(await check(cluster), 'replication-slot');
      expect(findings).toHaveLength(2);
      const logical = findings.find((f) => f.subject.slot === fault.logical!.name);
      const physical = findings.find((f) => f.subject.slot === fault.physical!.name);
      expect(logical).toMatchObject({ severity: 'warning', subject: { slot: fault.logical!.name, database: 'postgres' } });
      expect(logical!.summary).toMatch(/^Inactive logical slot/);
      expect(logical!.evidence[0]).toMatchObject({ slot_type: 'logical', active: false, catalog_xmin: fault.logical!.catalogXmin, xmin: null, restart_lsn: fault.logical!.restartLsn });
      expect(physical).toMatchObject({ severity: 'warning', subject: { slot: fault.physical!.name } });
      expect(physical!.evidence[0]).toMatchObject({ slot_type: 'physical', active: false, xmin: fault.physical!.xmin });
      expect(physical!.summary).toContain(`holds xmin ${fault.physical!.xmin}`);
      expect(physical!.remediation).toContain(`SELECT pg_drop_replication_slot('${fault.physical!.name}');`);
    } finally {
      await fault.release();
    }
    expect(findingsOf(await check(cluster), 'replication-slot')).toEqual([]);
  });
});
