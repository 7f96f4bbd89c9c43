import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { deadButNotRemovable, vacuumVerbose } from '../../src/evidence.js';
import { idleInTransaction } from '../../src/scenarios/idle-in-transaction.js';

describe('scenario: idle in transaction holding the xmin horizon', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'idle' });
  });
  afterAll(() => cluster?.destroy());

  it.each(['xid', 'snapshot'] as const)('pins the horizon (%s): VACUUM says the dead rows are not removable', async (pin) => {
    const fault = await idleInTransaction(cluster, { pin, deadRows: 500 });
    try {
      const { rows } = await cluster.sql<{ state: string; xid: string | null; xmin: string | null }>(
        'SELECT state, backend_xid::text AS xid, backend_xmin::text AS xmin FROM pg_stat_activity WHERE pid = $1',
        [fault.pid],
      );
      expect(rows[0]?.state).toBe('idle in transaction');
      expect(pin === 'xid' ? rows[0]?.xid : rows[0]?.xmin).toBe(fault.xmin);
      expect(deadButNotRemovable(await vacuumVerbose(cluster, fault.table))).toBe(500);
    } finally {
      await fault.release();
    }
  });

  it('an idle transaction without xid or snapshot does not pin: everything is removable', async () => {
    const fault = await idleInTransaction(cluster, { pin: 'none', deadRows: 300 });
    try {
      const { rows } = await cluster.sql('SELECT state, backend_xid, backend_xmin FROM pg_stat_activity WHERE pid = $1', [fault.pid]);
      expect(rows[0]).toEqual({ state: 'idle in transaction', backend_xid: null, backend_xmin: null });
      const verbose = await vacuumVerbose(cluster, fault.table);
      expect(verbose).toMatch(/300 removed|removed 300/);
      expect(deadButNotRemovable(verbose)).toBe(0);
    } finally {
      await fault.release();
    }
  });

  it('release ends the session and drops the table', async () => {
    const fault = await idleInTransaction(cluster, { deadRows: 10 });
    await fault.release();
    const { rows } = await cluster.sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [fault.pid]);
    expect(rows[0]?.n).toBe(0);
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
  });
});
