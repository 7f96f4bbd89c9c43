import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { deadButNotRemovable, vacuumVerbose } from '../../src/evidence.js';
import { preparedTransaction } from '../../src/scenarios/prepared-transaction.js';

const REMOVED = (n: number) => new RegExp(`${n} removed|removed ${n}|found ${n} removable`);

describe.each([18, 14])('scenario: orphaned prepared transaction (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `prepared-${major}` });
    await cluster.sql('CREATE DATABASE other');
  });
  afterAll(() => cluster?.destroy());

  const relname = (table: string) => table.replace(/^public\./, '');
  /** Every pg_locks row of the transaction's virtual transaction, found through the lock on its XID. */
  async function locksOf(xid: string) {
    const { rows } = await cluster.sql<{ pid: number | null; vxid: string; locktype: string; mode: string; rel: string | null }>(
      `SELECT l.pid, l.virtualtransaction AS vxid, l.locktype, l.mode, l.relation::regclass::text AS rel
         FROM pg_locks l
        WHERE l.virtualtransaction = (SELECT virtualtransaction FROM pg_locks WHERE locktype = 'transactionid' AND transactionid = $1::text::xid)
        ORDER BY 4, 5, 3`,
      [xid],
    );
    return rows;
  }

  it('survives its session, holds its locks without a backend, and pins the horizon of its database', async () => {
    const fault = await preparedTransaction(cluster, { deadRows: 300 });
    try {
      const { rows: xacts } = await cluster.sql('SELECT transaction::text AS xid, owner, database FROM pg_prepared_xacts WHERE gid = $1', [fault.gid]);
      expect(xacts).toEqual([{ xid: fault.xid, owner: 'postgres', database: 'postgres' }]);

      // Its locks belong to no backend (they keep the vanished session's virtual transaction id).
      const locks = await locksOf(fault.xid);
      expect(locks.length).toBeGreaterThan(1);
      expect(locks.every((l) => l.pid === null)).toBe(true);
      expect(locks).toContainEqual(expect.objectContaining({ locktype: 'relation', mode: 'RowExclusiveLock', rel: relname(fault.lockedTable) }));
      expect(locks).toContainEqual(expect.objectContaining({ locktype: 'transactionid', mode: 'ExclusiveLock' }));
      expect(fault.locks).toHaveLength(locks.length);
      expect(fault.locks).toEqual(expect.arrayContaining(locks.map((l) => ({ locktype: l.locktype, relation: l.rel, mode: l.mode }))));

      // No session is left that could finish it.
      const { rows: sessions } = await cluster.sql(
        'SELECT pid FROM pg_stat_activity WHERE pid = $1 OR backend_xid = $2::text::xid',
        [fault.preparedBy, fault.xid],
      );
      expect(sessions).toEqual([]);

      expect(deadButNotRemovable(await vacuumVerbose(cluster, fault.table))).toBe(300);

      // Healthy contrast: another database's horizon is not held by it.
      await cluster.sql('CREATE TABLE elsewhere (id int PRIMARY KEY) WITH (autovacuum_enabled = off)', [], 'other');
      await cluster.sql('INSERT INTO elsewhere SELECT generate_series(1, 200); DELETE FROM elsewhere', [], 'other');
      const other = await vacuumVerbose(cluster, 'elsewhere', 'other');
      expect(deadButNotRemovable(other)).toBe(0);
      expect(other).toMatch(REMOVED(200));
      await cluster.sql('DROP TABLE elsewhere', [], 'other');

      // And once it is rolled back, its own database's dead rows go too.
      await cluster.sql(`ROLLBACK PREPARED '${fault.gid}'`);
      const after = await vacuumVerbose(cluster, fault.table);
      expect(deadButNotRemovable(after)).toBe(0);
      expect(after).toMatch(REMOVED(300));
    } finally {
      await fault.release();
    }
  });

  it('with lockMode SHARE UPDATE EXCLUSIVE it keeps VACUUM off the locked table', async () => {
    const fault = await preparedTransaction(cluster, { lockMode: 'SHARE UPDATE EXCLUSIVE', deadRows: 10 });
    let vacuum: pg.Client | undefined;
    try {
      expect(fault.locks).toContainEqual({ locktype: 'relation', relation: relname(fault.lockedTable), mode: 'ShareUpdateExclusiveLock' });
      vacuum = await cluster.connect('postgres', 'lab-vacuum');
      await vacuum.query("SET lock_timeout = '200ms'");
      await expect(vacuum.query(`VACUUM ${fault.lockedTable}`)).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await vacuum?.end();
      await fault.release();
    }
  });

  it('survives a restart: its recovered locks show virtualtransaction -1/<xid> and it still pins the horizon', async () => {
    const fault = await preparedTransaction(cluster, { deadRows: 100 });
    try {
      await cluster.restart();
      const locks = await locksOf(fault.xid);
      expect(locks.length).toBeGreaterThan(1);
      expect(locks.every((l) => l.pid === null && l.vxid === `-1/${fault.xid}`)).toBe(true);
      expect((await cluster.sql('SELECT gid FROM pg_prepared_xacts')).rows).toEqual([{ gid: fault.gid }]);
      expect(deadButNotRemovable(await vacuumVerbose(cluster, fault.table))).toBe(100);
    } finally {
      await fault.release();
    }
  });

  it('release rolls it back in its own database and drops the tables; a second release is harmless', async () => {
    const fault = await preparedTransaction(cluster, { database: 'other', gid: `lab 'quoted' ${major}`, deadRows: 5 });
    expect(fault.database).toBe('other');
    // ROLLBACK PREPARED from another database is refused: release must go to the owning one.
    await expect(cluster.sql(`ROLLBACK PREPARED 'lab ''quoted'' ${major}'`)).rejects.toMatchObject({ code: '0A000' });
    await fault.release();
    await fault.release();
    expect((await cluster.sql('SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid = $1', [fault.gid])).rows[0]?.n).toBe(0);
    const { rows } = await cluster.sql('SELECT to_regclass($1) AS a, to_regclass($2) AS b', [fault.lockedTable, fault.table], 'other');
    expect(rows[0]).toEqual({ a: null, b: null });
  });
});
