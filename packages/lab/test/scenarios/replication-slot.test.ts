import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { deadButNotRemovable, vacuumVerbose } from '../../src/evidence.js';
import { replicationSlot } from '../../src/scenarios/replication-slot.js';

const REMOVED = (n: number) => new RegExp(`${n} removed|removed ${n}|found ${n} removable`);

describe.each([18, 14])('scenario: forgotten replication slots (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `slots-${major}`, autovacuum: false });
  });
  afterAll(() => cluster?.destroy());

  interface SlotRow {
    active: boolean;
    xmin: string | null;
    catalog_xmin: string | null;
    retained: string;
  }
  async function slot(name: string): Promise<SlotRow | undefined> {
    const { rows } = await cluster.sql<SlotRow>(
      `SELECT active, xmin::text, catalog_xmin::text, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained
         FROM pg_replication_slots WHERE slot_name = $1`,
      [name],
    );
    return rows[0];
  }
  async function generateWal(): Promise<void> {
    await cluster.sql("CREATE TABLE wal_filler AS SELECT g, repeat('w', 200) AS pad FROM generate_series(1, 2000) g; DROP TABLE wal_filler");
  }

  it('an unconsumed logical slot holds the catalog horizon and WAL, but not user tables', async () => {
    const fault = await replicationSlot(cluster, { physical: false, deadRows: 300 });
    try {
      expect(fault.physical).toBeNull();
      const logical = fault.logical!;
      expect(logical).toMatchObject({ type: 'logical', xmin: null });
      expect(logical.catalogXmin).toMatch(/^\d+$/);
      const before = await slot(logical.name);
      expect(before).toMatchObject({ active: false, xmin: null, catalog_xmin: logical.catalogXmin });

      // The dropped churn tables left dead pg_class rows that the slot's catalog_xmin keeps.
      expect(deadButNotRemovable(await vacuumVerbose(cluster, 'pg_catalog.pg_class'))).toBeGreaterThan(0);
      // Healthy contrast: a user table's dead rows are removable despite the slot.
      const user = await vacuumVerbose(cluster, fault.table);
      expect(deadButNotRemovable(user)).toBe(0);
      expect(user).toMatch(REMOVED(300));

      expect(BigInt(before!.retained)).toBeGreaterThan(0n);
      await generateWal();
      expect(BigInt((await slot(logical.name))!.retained)).toBeGreaterThan(BigInt(before!.retained));
    } finally {
      await fault.release();
    }
    // Without the slot, the catalogs are cleaned again.
    await cluster.sql('CREATE TABLE churn_after (id int); DROP TABLE churn_after');
    expect(deadButNotRemovable(await vacuumVerbose(cluster, 'pg_catalog.pg_class'))).toBe(0);
  });

  it('an inactive physical slot keeps the xmin its standby reported and holds back every table', async () => {
    const fault = await replicationSlot(cluster, { deadRows: 400 });
    try {
      const physical = fault.physical!;
      expect(physical).toMatchObject({ type: 'physical', catalogXmin: null });
      expect(physical.xmin).toMatch(/^\d+$/);
      const state = await slot(physical.name);
      expect(state).toMatchObject({ active: false, xmin: physical.xmin, catalog_xmin: null });
      expect(await slot(fault.logical!.name)).toMatchObject({ active: false, xmin: null, catalog_xmin: fault.logical!.catalogXmin });
      const { rows: senders } = await cluster.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender'");
      expect(senders).toEqual([]);

      expect(deadButNotRemovable(await vacuumVerbose(cluster, fault.table))).toBe(400);

      expect(BigInt(state!.retained)).toBeGreaterThan(0n);
      await generateWal();
      expect(BigInt((await slot(physical.name))!.retained)).toBeGreaterThan(BigInt(state!.retained));

      // Healthy contrast: drop the physical slot and the same rows are removable (the logical one does not hold them).
      await cluster.sql('SELECT pg_drop_replication_slot($1)', [physical.name]);
      const after = await vacuumVerbose(cluster, fault.table);
      expect(deadButNotRemovable(after)).toBe(0);
      expect(after).toMatch(REMOVED(400));
    } finally {
      await fault.release();
    }
  });

  it('release drops the slots and the table; a second release is harmless', async () => {
    const fault = await replicationSlot(cluster, { deadRows: 5, catalogChurn: 0 });
    await fault.release();
    await fault.release();
    const { rows } = await cluster.sql('SELECT count(*)::int AS n FROM pg_replication_slots');
    expect(rows[0]?.n).toBe(0);
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
  });
});
