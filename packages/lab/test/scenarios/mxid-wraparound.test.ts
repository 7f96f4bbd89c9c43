import { existsSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clustersInZones, type Cluster, type ZoneClusters } from '../../src/index.js';
import { waitFor } from '../../src/evidence.js';
import { STOP_MARGIN, WARN_MARGIN } from '../../src/reset-wal.js';
import type { WraparoundTemplate } from '../../src/wraparound-template.js';
import { mxidWraparound, type MxidWraparoundFault, type MxidZone } from '../../src/scenarios/mxid-wraparound.js';

/** What a notice (WARNING) carries; the same fields as an error. */
type Notice = { severity?: string; message?: string; hint?: string };

const PG_RESETWAL = '/usr/lib/postgresql/15/bin/pg_resetwal';
const ready = existsSync(PG_RESETWAL);
const STEP = 200_000_000;
const PROBE = 'public.lab_multixact_probe';

/**
 * Make the server assign a new MultiXactId: two transactions share-lock the same row, so its xmax must
 * name both. Returns what the second locker heard (notices) and whether it was refused.
 */
async function newMultiXact(cluster: Cluster) {
  await cluster.sql(`CREATE TABLE IF NOT EXISTS ${PROBE} (id int); INSERT INTO ${PROBE} SELECT 1 WHERE NOT EXISTS (SELECT FROM ${PROBE})`);
  const [a, b] = [await cluster.connect('postgres', 'lab-mxid-a'), await cluster.connect('postgres', 'lab-mxid-b')];
  const notices: Notice[] = [];
  b.on('notice', (n) => notices.push(n));
  try {
    await a.query('BEGIN');
    await a.query(`SELECT id FROM ${PROBE} FOR SHARE`);
    await b.query('BEGIN');
    await b.query(`SELECT id FROM ${PROBE} FOR SHARE`);
    const { rows } = await b.query<{ multi: boolean }>(`SELECT xmax::text <> txid_current()::text AS multi FROM ${PROBE}`);
    return { notices, error: undefined, multi: rows[0]!.multi };
  } catch (error) {
    return { notices, error: error as pg.DatabaseError, multi: false };
  } finally {
    await Promise.allSettled([a.end(), b.end()]);
  }
}

async function workerWaitingOn(cluster: Cluster, fault: MxidWraparoundFault) {
  return waitFor(async () => {
    const { rows } = await cluster.sql<{ pid: number; query: string }>(
      `SELECT a.pid, a.query
         FROM pg_stat_activity a
         JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted AND w.locktype = 'relation'
         JOIN pg_locks h ON h.relation = w.relation AND h.granted AND h.pid IS NULL AND h.mode = 'ShareUpdateExclusiveLock'
         JOIN pg_locks x ON x.virtualtransaction = h.virtualtransaction AND x.locktype = 'transactionid'
         JOIN pg_prepared_xacts p ON p.transaction = x.transactionid AND p.gid = $1
        WHERE a.backend_type = 'autovacuum worker' AND a.datname = $2
          -- pg_stat_activity and pg_locks are read at different moments: only a worker this snapshot
          -- already shows waiting on a lock has reported what it vacuums (its query was '' in one CI run)
          AND a.wait_event_type = 'Lock'`,
      [fault.gid, fault.database],
    );
    return rows[0];
  }, 'an anti-wraparound autovacuum waiting for the prepared transaction');
}

async function datminmxid(cluster: Cluster, database: string) {
  const { rows } = await cluster.sql<{ min: string; age: number }>(
    'SELECT datminmxid::text AS min, mxid_age(datminmxid)::int AS age FROM pg_database WHERE datname = $1',
    [database],
  );
  return rows[0]!;
}

const title = 'scenario: near MultiXactId wraparound (PostgreSQL 15, pg_resetwal -m)';
describe.skipIf(!ready)(ready ? title : `${title} — SKIPPED: ${PG_RESETWAL} is missing (apt-get install postgresql-15)`, () => {
  let template: WraparoundTemplate;
  let clusters: Map<MxidZone, Cluster>;
  let faults: Map<MxidZone, MxidWraparoundFault>;
  let zones: ZoneClusters<MxidZone, MxidWraparoundFault>;

  beforeAll(async () => {
    const started = Date.now();
    zones = await clustersInZones('multixact', ['freeze-max-age', 'warning', 'stop'] as const, 'mxid', (cluster, zone) => mxidWraparound(cluster, { zone }));
    ({ clusters, faults } = zones);
    template = zones.template;
    console.log(`multixact template: built in ${template.buildMs} ms; three zones ready ${Date.now() - started} ms after the start`);
  });
  afterAll(() => zones?.destroy());

  it('builds tables whose relminmxid ages are ageStep apart, every row locked by a MultiXactId', async () => {
    for (const fault of faults.values()) {
      expect(fault.database).toBe('incident');
      expect(fault.tables.map((t) => t.table)).toEqual(template.tables.map((t) => t.table));
      fault.tables.slice(1).forEach((t, i) => expect(Math.abs(fault.tables[i]!.mxidAge - t.mxidAge - STEP)).toBeLessThan(1000));
    }
    const cluster = clusters.get('stop')!;
    const fault = faults.get('stop')!;
    for (const { table } of fault.tables) {
      // The xmax of every row is a MultiXactId at or after the table's relminmxid (the server's own lower bound).
      const { rows } = await cluster.sql<{ rows: number; multi: number }>(
        `SELECT count(*)::int AS rows,
                count(*) FILTER (WHERE xmax::text::bigint >= (SELECT relminmxid::text::bigint FROM pg_class WHERE oid = $1::regclass)
                                   AND xmax::text::bigint < $2)::int AS multi
           FROM ${table}`,
        [table, fault.nextMultiXact],
        fault.database,
      );
      expect(rows[0]).toEqual({ rows: 2000, multi: 2000 });
    }
  });

  it('zone "freeze-max-age": older than autovacuum_multixact_freeze_max_age, new MultiXactIds without a warning, held', async () => {
    const cluster = clusters.get('freeze-max-age')!;
    const fault = faults.get('freeze-max-age')!;
    const { rows } = await cluster.sql<{ max: number }>(`SELECT current_setting('autovacuum_multixact_freeze_max_age')::int AS max`);
    expect(rows[0]!.max).toBe(400_000_000);
    const before = await datminmxid(cluster, fault.database);
    expect(before.age).toBeGreaterThan(rows[0]!.max);
    expect(fault.multisLeft).toBeGreaterThan(WARN_MARGIN);

    const probe = await newMultiXact(cluster);
    expect(probe.error).toBeUndefined();
    expect(probe.multi).toBe(true);
    expect(probe.notices).toEqual([]);

    expect((await workerWaitingOn(cluster, fault)).query).toMatch(/^autovacuum: VACUUM .*\(to prevent wraparound\)$/);
    expect((await datminmxid(cluster, fault.database)).min).toBe(before.min);
  });

  it('zone "warning": every new MultiXactId warns that the database must be vacuumed before N more are used', async () => {
    const cluster = clusters.get('warning')!;
    const fault = faults.get('warning')!;
    expect(fault.multisLeft).toBeLessThanOrEqual(WARN_MARGIN);
    expect(fault.multisLeft).toBeGreaterThan(STOP_MARGIN);
    const probe = await newMultiXact(cluster);
    expect(probe.error).toBeUndefined();
    const warning = probe.notices.find((n) => n.severity === 'WARNING');
    const n = Number(/^database "incident" must be vacuumed before (\d+) more MultiXactIds are used$/.exec(warning?.message ?? '')?.[1]);
    expect(n).toBeLessThanOrEqual(fault.multisLeft);
    expect(n).toBeGreaterThan(fault.multisLeft - 100);
    await workerWaitingOn(cluster, fault);
  });

  describe('zone "stop"', () => {
    it('refuses new MultiXactIds (SQLSTATE 54000) while new XIDs still work', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      expect(fault.multisBeforeStop).toBeLessThanOrEqual(0);
      const probe = await newMultiXact(cluster);
      expect(probe.error?.code).toBe('54000');
      expect(probe.error?.message).toBe(
        'database is not accepting commands that generate new MultiXactIds to avoid wraparound data loss in database "incident"',
      );
      // The healthy contrast: a write needs only an XID, and those are far from their limit.
      await cluster.sql(`INSERT INTO public.aged_01 VALUES (-1, 'xid is fine')`, [], fault.database);
    });

    it('is held: the anti-wraparound autovacuum waits on the prepared transaction and datminmxid does not move', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      const before = await datminmxid(cluster, fault.database);
      await workerWaitingOn(cluster, fault);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await datminmxid(cluster, fault.database)).min).toBe(before.min);
    });

    it('after ROLLBACK PREPARED, VACUUM (FREEZE) oldest table first brings the database out of the stop zone', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      await fault.release();
      await fault.release(); // idempotent
      expect((await cluster.sql('SELECT gid FROM pg_prepared_xacts')).rows).toEqual([]);
      for (const { table } of fault.tables) await cluster.sql(`VACUUM (FREEZE) ${table}`, [], fault.database);
      const { rows } = await cluster.sql<{ age: number }>(`SELECT max(mxid_age(relminmxid))::int AS age FROM pg_class WHERE relkind = 'r' AND relname LIKE 'aged\\_%'`, [], fault.database);
      expect(rows[0]!.age).toBeLessThan(1000);
      expect(2 ** 31 - 1 - (await datminmxid(cluster, fault.database)).age).toBeGreaterThan(WARN_MARGIN);
      const probe = await newMultiXact(cluster);
      expect(probe.error).toBeUndefined();
      expect(probe.notices).toEqual([]);
    });
  });
});
