import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { waitFor } from '../../src/evidence.js';
import { autovacuumDisabled } from '../../src/scenarios/autovacuum-disabled.js';

interface TableStats {
  dead: number;
  last_autovacuum: Date | null;
  autovacuum_count: number;
}

async function stats(cluster: Cluster, table: string): Promise<TableStats> {
  const { rows } = await cluster.sql<TableStats>(
    'SELECT n_dead_tup::int AS dead, last_autovacuum, autovacuum_count::int FROM pg_stat_user_tables WHERE relid = $1::regclass',
    [table],
  );
  return rows[0]!;
}

describe('scenario: a table with autovacuum disabled, far past its trigger', () => {
  // Autovacuum on and visiting every second: the reloption alone is what keeps it away.
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'noautovac', autovacuum: { naptime: 1 } });
  });
  afterAll(() => cluster?.destroy());

  it('has n_dead_tup beyond 50 + 0.2 * reltuples, the reloption set, and no autovacuum', async () => {
    const fault = await autovacuumDisabled(cluster);
    try {
      expect(fault.reltuples).toBe(10_000);
      expect(fault.threshold).toBeCloseTo(50 + 0.2 * 10_000, 3); // the default settings, no reloption override
      const { rows } = await cluster.sql<{ reltuples: number; reloptions: string[] }>(
        'SELECT reltuples::float8 AS reltuples, reloptions FROM pg_class WHERE oid = $1::regclass',
        [fault.table],
      );
      expect(rows[0]).toEqual({ reltuples: 10_000, reloptions: ['autovacuum_enabled=off'] });
      const now = await stats(cluster, fault.table);
      expect(now.dead).toBe(5000);
      expect(fault.deadTuples).toBe(5000);
      expect(now.dead).toBeGreaterThan(fault.threshold);
      expect(now).toMatchObject({ last_autovacuum: null, autovacuum_count: 0 });
      const { rows: launcher } = await cluster.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum launcher'`);
      expect(launcher[0]).toEqual({ n: 1 }); // autovacuum itself is running here
    } finally {
      await fault.release();
    }
  });

  it('healthy contrast: autovacuum visits the database and skips only the disabled table; reset, it is vacuumed', async () => {
    const fault = await autovacuumDisabled(cluster, { rows: 4000, deadFraction: 0.75 });
    try {
      // The same table without the reloption, made after the fault so every worker pass that sees it sees both.
      await cluster.sql(`CREATE TABLE lab_autovac_control (LIKE ${fault.table} INCLUDING ALL)`);
      await cluster.sql(`INSERT INTO lab_autovac_control SELECT g, repeat('x', 100) FROM generate_series(1, 4000) g`);
      await cluster.sql('ANALYZE lab_autovac_control');
      await cluster.sql('DELETE FROM lab_autovac_control WHERE id <= 3000');
      await waitFor(async () => (await stats(cluster, 'lab_autovac_control')).last_autovacuum, 'autovacuum of the control table');
      expect(await stats(cluster, fault.table)).toMatchObject({ dead: 3000, last_autovacuum: null, autovacuum_count: 0 });

      await cluster.sql(`ALTER TABLE ${fault.table} RESET (autovacuum_enabled)`);
      await waitFor(async () => (await stats(cluster, fault.table)).last_autovacuum, 'autovacuum of the re-enabled table', 10_000);
      const after = await stats(cluster, fault.table);
      expect(after.autovacuum_count).toBeGreaterThan(0);
      expect(after.dead).toBeLessThan(fault.threshold);
    } finally {
      await cluster.sql('DROP TABLE IF EXISTS lab_autovac_control');
      await fault.release();
    }
  });

  it('release drops the table', async () => {
    const fault = await autovacuumDisabled(cluster, { rows: 200 });
    await fault.release();
    await fault.release();
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
  });
});

describe('the global case: a cluster with autovacuum = off', () => {
  let off: Cluster;
  beforeAll(async () => {
    off = await Cluster.create({ label: 'autovac-off', autovacuum: false });
  });
  afterAll(() => off?.destroy());

  it('SHOW autovacuum says off, no launcher runs, and the scenario still builds up dead tuples', async () => {
    expect((await off.sql('SHOW autovacuum')).rows[0]).toEqual({ autovacuum: 'off' });
    const { rows } = await off.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum launcher'`);
    expect(rows[0]).toEqual({ n: 0 });
    const fault = await autovacuumDisabled(off, { rows: 1000 });
    try {
      expect(fault.threshold).toBeCloseTo(250, 3);
      expect(fault.deadTuples).toBe(500);
    } finally {
      await fault.release();
    }
  });
});
