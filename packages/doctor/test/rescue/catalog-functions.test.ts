/**
 * The freeze reads pg_locks, pg_stat_activity, pg_prepared_xacts and pg_stat_progress_vacuum through the functions
 * under them (cheaper to plan in a new backend). Proven here equal to the views, on the oldest and the newest
 * PostgreSQL we test, with every kind of row there: a session's lock, a prepared transaction's lock (gid, no pid),
 * an autovacuum-free VACUUM running (throttled, so it is there to be seen), and the view's own phase names.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@mvcc-doctor/lab';
import { sqlFor } from '../../src/collect/dataset.js';
import { locksDataset } from '../../src/rescue/plan-sql.js';
import { PROGRESS_SQL, VACUUM_PHASES } from '../../src/rescue/run-monitor.js';

const LOCKS_BY_VIEWS = `SELECT l.relation::int8 AS oid, d.datname, l.mode, l.pid, p.gid, a.backend_type
  FROM pg_locks l
  LEFT JOIN pg_database d ON d.oid = l.database
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  LEFT JOIN pg_locks x ON l.pid IS NULL AND x.pid IS NULL AND x.locktype = 'transactionid' AND x.virtualtransaction = l.virtualtransaction
  LEFT JOIN pg_prepared_xacts p ON p.transaction = x.transactionid
 WHERE l.locktype = 'relation' AND l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()
   AND l.mode IN ('ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')`;

const PROGRESS_BY_VIEWS = `(SELECT coalesce(json_agg(json_build_object('pid', p.pid, 'datname', p.datname, 'relid', p.relid::int8, 'phase', p.phase,
    'total', p.heap_blks_total, 'backend_type', a.backend_type)), '[]')
   FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a ON a.pid = p.pid)`;

type Row = Record<string, unknown>;
const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

describe.each([14, 18])('the freeze reads the lock and progress functions as their views show them (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  let locker: pg.Client;
  let vacuumer: pg.Client;
  let vacuuming: Promise<unknown>;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, autovacuum: false, label: 'catalog-functions' });
    await cluster.sql('CREATE TABLE t_share (id int); CREATE TABLE t_prepared (id int)');
    await cluster.sql('CREATE TABLE t_slow AS SELECT g AS id, repeat(\'x\', 100) AS pad FROM generate_series(1, 20000) g');
    locker = await cluster.connect('postgres', 'app-locker');
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t_share IN SHARE MODE');
    const preparer = await cluster.connect();
    await preparer.query('BEGIN');
    await preparer.query('LOCK TABLE t_prepared IN ACCESS EXCLUSIVE MODE');
    await preparer.query('SELECT txid_current()');
    await preparer.query("PREPARE TRANSACTION 'catalog_functions_gid'");
    await preparer.end();
    // A VACUUM that sleeps in vacuum_cost_delay after every page: it runs for as long as the test needs.
    vacuumer = await cluster.connect('postgres', 'app-vacuum');
    await vacuumer.query("SET vacuum_cost_delay = '100ms'; SET vacuum_cost_limit = 1");
    vacuuming = vacuumer.query('VACUUM t_slow').catch(() => {});
    for (let i = 0; i < 100; i++) {
      const { rows } = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_progress_vacuum');
      if (rows[0]!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    if (!cluster) return;
    await cluster.sql('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', ['app-vacuum']).catch(() => {});
    await vacuuming;
    await cluster.sql("ROLLBACK PREPARED 'catalog_functions_gid'").catch(() => {});
    await Promise.all([locker?.end(), vacuumer?.end()].map((p) => p?.catch(() => {})));
    await cluster.destroy();
  });

  it('locks: the same rows, a session lock and a prepared transaction lock among them', async () => {
    const ours = (await cluster.sql<Row>(sqlFor(locksDataset, cluster.major * 10000)!)).rows;
    const views = (await cluster.sql<Row>(LOCKS_BY_VIEWS)).rows;
    expect(sorted(ours)).toEqual(sorted(views));
    expect(ours.some((r) => r.gid === 'catalog_functions_gid' && r.pid === null)).toBe(true);
    expect(ours.some((r) => r.mode === 'ShareLock' && r.backend_type === 'client backend' && r.datname === 'postgres')).toBe(true);
  });

  it('progress: the same VACUUMs, with the phase the view names', async () => {
    // One statement, so both read the same moment; pages scanned and wait events move on their own.
    const { rows } = await cluster.sql<{ ours: Row[]; views: Row[] }>(`SELECT ${PROGRESS_SQL} AS ours, ${PROGRESS_BY_VIEWS} AS views`);
    const ours = rows[0]!.ours.map(({ scanned: _scanned, wait_event: _wait, ...rest }) => rest);
    expect(ours).toEqual(rows[0]!.views);
    expect(ours).toContainEqual(expect.objectContaining({ datname: 'postgres', phase: 'scanning heap', backend_type: 'client backend' }));
  });

  it("the phase names are the view's own", async () => {
    const { rows } = await cluster.sql<{ d: string }>(`SELECT pg_get_viewdef('pg_stat_progress_vacuum') AS d`);
    const named = [...rows[0]!.d.matchAll(/WHEN (\d+) THEN '([^']+)'/g)].map((m) => [Number(m[1]), m[2]]);
    expect(named).toEqual(VACUUM_PHASES.map((name, i) => [i, name]));
  });
});
