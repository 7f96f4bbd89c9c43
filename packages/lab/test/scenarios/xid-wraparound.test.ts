import { existsSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clustersInZones, type Cluster, type ZoneClusters } from '../../src/index.js';
import { waitFor } from '../../src/evidence.js';
import { STOP_MARGIN, WARN_MARGIN } from '../../src/reset-wal.js';
import type { WraparoundTemplate } from '../../src/wraparound-template.js';
import { xidWraparound, type XidWraparoundFault, type XidZone } from '../../src/scenarios/xid-wraparound.js';

/** What a notice (WARNING) carries; the same fields as an error. */
type Notice = { severity?: string; message?: string; hint?: string };

const PG_RESETWAL = '/usr/lib/postgresql/15/bin/pg_resetwal';
const ready = existsSync(PG_RESETWAL);
const STEP = 200_000_000;

/** Assign a new XID in a fresh session; what the server said (notices) and whether it refused. */
async function newXid(cluster: Cluster, database: string, sql = 'SELECT txid_current()') {
  const client = await cluster.connect(database, 'lab-xid-probe');
  const notices: Notice[] = [];
  client.on('notice', (n) => notices.push(n));
  try {
    await client.query(sql);
    return { notices, error: undefined };
  } catch (error) {
    return { notices, error: error as pg.DatabaseError };
  } finally {
    await client.end();
  }
}

/** The anti-wraparound autovacuum worker waiting on a lock of the prepared transaction `gid`. */
async function workerWaitingOn(cluster: Cluster, fault: XidWraparoundFault) {
  return waitFor(async () => {
    const { rows } = await cluster.sql<{ pid: number; rel: string; query: string }>(
      `SELECT a.pid, w.relation::regclass::text AS rel, a.query
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
      fault.database,
    );
    return rows[0];
  }, 'an anti-wraparound autovacuum waiting for the prepared transaction');
}

async function datfrozenxid(cluster: Cluster, database: string): Promise<string> {
  const { rows } = await cluster.sql<{ x: string }>('SELECT datfrozenxid::text AS x FROM pg_database WHERE datname = $1', [database]);
  return rows[0]!.x;
}

const title = 'scenario: near XID wraparound (PostgreSQL 15, pg_resetwal)';
describe.skipIf(!ready)(ready ? title : `${title} — SKIPPED: ${PG_RESETWAL} is missing (apt-get install postgresql-15)`, () => {
  let template: WraparoundTemplate;
  let clusters: Map<XidZone, Cluster>;
  let faults: Map<XidZone, XidWraparoundFault>;
  let zones: ZoneClusters<XidZone, XidWraparoundFault>;

  beforeAll(async () => {
    const started = Date.now();
    zones = await clustersInZones('xid', ['freeze-max-age', 'warning', 'stop'] as const, 'xid', (cluster, zone) => xidWraparound(cluster, { zone }));
    ({ clusters, faults } = zones);
    template = zones.template;
    console.log(`xid template: built in ${template.buildMs} ms; three zones ready ${Date.now() - started} ms after the start`);
  });
  afterAll(() => zones?.destroy());

  it('builds tables whose ages are ageStep apart in a database of their own, the oldest of the cluster', async () => {
    for (const fault of faults.values()) {
      expect(fault.database).toBe('incident');
      expect(fault.tables.map((t) => t.table)).toEqual(template.tables.map((t) => t.table));
      fault.tables.slice(1).forEach((t, i) => expect(Math.abs(fault.tables[i]!.age - t.age - STEP)).toBeLessThan(1_000_000));
      // A few hundred KB each; every second one keeps empty pages at its end.
      expect(fault.tables.every((t) => t.pages >= 20 && t.pages < 100)).toBe(true);
      expect(fault.tables.filter((t) => t.emptyTail).map((t) => t.table)).toEqual(['public.aged_02', 'public.aged_04', 'public.aged_06']);
    }
  });

  it('zone "freeze-max-age": older than autovacuum_freeze_max_age, new XIDs without a warning, held by the prepared transaction', async () => {
    const cluster = clusters.get('freeze-max-age')!;
    const fault = faults.get('freeze-max-age')!;
    const { rows } = await cluster.sql<{ age: number; max: number }>(
      `SELECT age(datfrozenxid)::int AS age, current_setting('autovacuum_freeze_max_age')::int AS max FROM pg_database WHERE datname = $1`,
      [fault.database],
    );
    expect(rows[0]!.max).toBe(200_000_000);
    expect(rows[0]!.age).toBeGreaterThan(rows[0]!.max);
    expect(fault.xidsLeft).toBeGreaterThan(WARN_MARGIN);
    const frozenBefore = await datfrozenxid(cluster, fault.database);

    const probe = await newXid(cluster, fault.database);
    expect(probe.error).toBeUndefined();
    expect(probe.notices).toEqual([]);

    const worker = await workerWaitingOn(cluster, fault);
    expect(worker.query).toMatch(/^autovacuum: VACUUM .*\(to prevent wraparound\)$/);
    expect(fault.tables.find((t) => t.table === `public.${worker.rel}` || t.table === worker.rel)?.locked).toBe(true);
    expect(await datfrozenxid(cluster, fault.database)).toBe(frozenBefore);
  });

  it('zone "warning": every new XID warns that the database must be vacuumed within N transactions', async () => {
    const cluster = clusters.get('warning')!;
    const fault = faults.get('warning')!;
    expect(fault.xidsLeft).toBeLessThanOrEqual(WARN_MARGIN);
    expect(fault.xidsLeft).toBeGreaterThan(STOP_MARGIN);

    const probe = await newXid(cluster, 'postgres');
    expect(probe.error).toBeUndefined();
    const warning = probe.notices.find((n) => n.severity === 'WARNING');
    const n = Number(/^database "incident" must be vacuumed within (\d+) transactions$/.exec(warning?.message ?? '')?.[1]);
    expect(n).toBeLessThanOrEqual(fault.xidsLeft);
    expect(n).toBeGreaterThan(fault.xidsLeft - 10_000); // autovacuum may use a few (ANALYZE of a catalog)
    expect(warning?.hint).toMatch(/commit or roll back old prepared transactions/);
    await workerWaitingOn(cluster, fault);
  });

  describe('zone "stop"', () => {
    it('refuses new XIDs (SQLSTATE 54000) but still serves reads', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      expect(fault.xidsBeforeStop).toBeLessThanOrEqual(0);
      const { rows } = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM public.aged_01', [], fault.database);
      expect(rows[0]!.n).toBe(2000);
      for (const sql of ['SELECT txid_current()', `INSERT INTO public.aged_03 VALUES (-1, 'x')`]) {
        const { error } = await newXid(cluster, fault.database, sql);
        expect(error?.code).toBe('54000');
        expect(error?.message).toBe('database is not accepting commands to avoid wraparound data loss in database "incident"');
      }
    });

    it('is held: the anti-wraparound autovacuum waits on the prepared transaction and datfrozenxid does not move', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      const frozen = await datfrozenxid(cluster, fault.database);
      await workerWaitingOn(cluster, fault);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await datfrozenxid(cluster, fault.database)).toBe(frozen);
      expect((await newXid(cluster, fault.database)).error?.code).toBe('54000');
    });

    it('trap: VACUUM (FREEZE) of a table with empty trailing pages fails while truncating; TRUNCATE false works', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      const trapped = fault.tables.filter((t) => t.emptyTail && !t.locked);
      expect(trapped.length).toBeGreaterThan(0);
      const table = trapped[0]!;
      const failed = await newXid(cluster, fault.database, `VACUUM (FREEZE) ${table.table}`);
      expect(failed.error?.code).toBe('54000');
      expect(failed.error?.where).toMatch(new RegExp(`while truncating relation "${table.table.replace('.', '\\.')}" to \\d+ blocks`));

      const worked = await newXid(cluster, fault.database, `VACUUM (FREEZE, TRUNCATE false) ${table.table}`);
      expect(worked.error).toBeUndefined();
      const { rows } = await cluster.sql<{ age: number }>(`SELECT age(relfrozenxid)::int AS age FROM pg_class WHERE oid = $1::regclass`, [table.table], fault.database);
      expect(rows[0]!.age).toBeLessThan(table.age - 100_000_000);
    });

    it('after ROLLBACK PREPARED, VACUUM (FREEZE, TRUNCATE false) oldest table first brings the database out of the stop zone', async () => {
      const cluster = clusters.get('stop')!;
      const fault = faults.get('stop')!;
      await fault.release();
      await fault.release(); // idempotent
      expect((await cluster.sql('SELECT gid FROM pg_prepared_xacts')).rows).toEqual([]);
      // One table per command: datfrozenxid is recomputed at the end of each. (Autovacuum, no longer
      // blocked, joins in; these commands then wait for it, and must succeed all the same.)
      for (const { table } of fault.tables) {
        const { error } = await newXid(cluster, fault.database, `VACUUM (FREEZE, TRUNCATE false) ${table}`);
        expect(error, table).toBeUndefined();
      }
      const { rows } = await cluster.sql<{ age: number }>('SELECT age(datfrozenxid)::int AS age FROM pg_database WHERE datname = $1', [
        fault.database,
      ]);
      expect(2 ** 31 - 1 - rows[0]!.age).toBeGreaterThan(WARN_MARGIN);
      const insert = await newXid(cluster, fault.database, `INSERT INTO public.aged_01 VALUES (-1, 'after the rescue')`);
      expect(insert.error).toBeUndefined();
      expect(insert.notices).toEqual([]);
    });
  });
});
