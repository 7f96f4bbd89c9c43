import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor, autovacuumDisabled } from '@mvcc-doctor/lab';
import { check, findingsOf, statsShow } from './run-check.js';

/** Until `pid` waits with this wait_event_type, as pg_stat_activity shows it. */
async function waitsOn(cluster: Cluster, pid: number, type: string): Promise<void> {
  await waitFor(async () => {
    const { rows } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [pid, type]);
    return rows.length === 1;
  }, `pid ${pid} to wait on ${type}`);
}

describe('vacuum checks on PostgreSQL 18: autovacuum with one worker, busy', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // One worker and a short naptime: the worker is soon busy, and a table past its trigger then waits.
    cluster = await Cluster.create({ label: 'vacuum', autovacuum: { naptime: '1s', max_workers: 1 } });
  });
  afterAll(() => cluster?.destroy());

  it('a default-settings cluster: vacuum-settings has nothing above info; no vacuum finding', async () => {
    const report = await check(cluster);
    expect(findingsOf(report, 'vacuum-settings').filter((f) => f.severity !== 'info')).toEqual([]);
    // The server's own setting, not our session's: prepared transactions on and idle transactions never time out.
    expect(findingsOf(report, 'vacuum-settings').map((f) => f.subject.setting)).toContain('idle_in_transaction_session_timeout');
    for (const id of ['autovacuum-lag', 'autovacuum-disabled', 'vacuum-running', 'dead-tuples']) expect(findingsOf(report, id), id).toEqual([]);
  });

  it('autovacuum-disabled (per table): a table with autovacuum_enabled=off past its trigger is a warning', async () => {
    const fault = await autovacuumDisabled(cluster, { rows: 10_000, deadFraction: 0.5 });
    try {
      const name = fault.table.replace(/^public\."(.*)"$/, '$1');
      const [finding, ...more] = findingsOf(await check(cluster), 'autovacuum-disabled');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', schema: 'public', table: name } });
      expect(finding!.evidence[0]).toMatchObject({ reloptions: ['autovacuum_enabled=off'], dead_tuples: fault.deadTuples, trigger: Math.round(fault.threshold) });
      expect(finding!.remediation).toEqual([`VACUUM (VERBOSE) "public"."${name}";`, `ALTER TABLE "public"."${name}" RESET (autovacuum_enabled);`]);
      // Not autovacuum-lag: autovacuum was told to stay away, which is the other check's point.
      expect(findingsOf(await check(cluster), 'autovacuum-lag')).toEqual([]);
    } finally {
      await fault.release();
    }
  });

  it('vacuum-running: a VACUUM waiting for the lock another session holds is shown waiting (warning)', async () => {
    await cluster.sql(`CREATE TABLE locked_t (id int, v text) WITH (autovacuum_enabled = off); INSERT INTO locked_t SELECT g, 'x' FROM generate_series(1, 1000) g`);
    const holder = await cluster.connect('postgres', 'lab-maintenance-lock');
    const vacuum = await cluster.connect('postgres', 'lab-vacuum');
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE locked_t IN SHARE UPDATE EXCLUSIVE MODE');
      const [{ pid }] = (await vacuum.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      const running = vacuum.query('VACUUM locked_t').catch(() => undefined);
      await waitsOn(cluster, pid, 'Lock');
      const report = await check(cluster, { thresholds: { lockWaitSeconds: 0 } });
      const [finding, ...more] = findingsOf(report, 'vacuum-running');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', table: 'public.locked_t', pid } });
      expect(finding!.summary).toMatch(/^VACUUM of public\.locked_t in "postgres" is 0% through \(waiting for lock\) after \d+s, waiting on a relation lock\.$/);
      expect(finding!.evidence[0]).toMatchObject({ pid, phase: 'waiting for lock', wait_event_type: 'Lock', query: 'VACUUM locked_t' });
      expect(finding!.remediation).toContain(`SELECT pg_blocking_pids(${pid});`);
      // lock-blocking names the holder as the root.
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(findingsOf(report, 'lock-blocking')).toMatchObject([{ subject: { pid: holderPid } }]);
      await holder.query('ROLLBACK');
      await running;
    } finally {
      await Promise.allSettled([holder.end(), vacuum.end()]);
      await cluster.sql('DROP TABLE locked_t');
    }
  });

  it('vacuum-running: a VACUUM (FREEZE) stuck on a buffer pin of an open cursor is shown waiting', async () => {
    await cluster.sql(`CREATE TABLE pinned_t (id int, v text) WITH (autovacuum_enabled = off); INSERT INTO pinned_t SELECT g, 'x' FROM generate_series(1, 1000) g`);
    const reader = await cluster.connect('postgres', 'lab-cursor');
    const vacuum = await cluster.connect('postgres', 'lab-vacuum');
    try {
      await reader.query('BEGIN');
      await reader.query('DECLARE c CURSOR FOR SELECT * FROM pinned_t');
      await reader.query('FETCH 1 FROM c'); // the cursor keeps the first page pinned
      const pid = (await vacuum.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = vacuum.query('VACUUM (FREEZE) pinned_t').catch(() => undefined);
      await waitsOn(cluster, pid, 'BufferPin');
      const [finding, ...more] = findingsOf(await check(cluster), 'vacuum-running');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'postgres', table: 'public.pinned_t', pid } });
      expect(finding!.summary).toMatch(/\(scanning heap\).*, waiting on a buffer pin\.$/);
      expect(finding!.evidence[0]).toMatchObject({ wait_event_type: 'BufferPin', phase: 'scanning heap' });
      await reader.query('ROLLBACK');
      await running;
    } finally {
      await Promise.allSettled([reader.end(), vacuum.end()]);
      await cluster.sql('DROP TABLE pinned_t');
    }
  });

  it('autovacuum-lag: while the only worker crawls through a throttled table, a table past its trigger waits; vacuum-running shows the worker', async () => {
    // The worker's table: cost-limited to a page per 100 ms, so it stays busy for a minute.
    await cluster.sql(`CREATE TABLE slow_t (id int, v text) WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
    await cluster.sql(`INSERT INTO slow_t SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g`);
    await cluster.sql(`DELETE FROM slow_t WHERE id % 2 = 0`);
    await cluster.sql('SELECT pg_stat_force_next_flush()');
    const worker = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(
        `SELECT p.pid FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid)
          WHERE p.relid = 'slow_t'::regclass AND a.backend_type = 'autovacuum worker'`,
      );
      return rows[0];
    }, 'the autovacuum worker to start on slow_t', 30_000);

    // Past its trigger (50 + 0.2 x 10,000 = 2,050) after the worker has taken its list of tables.
    await cluster.sql(`CREATE TABLE lagging_t (id int, v text)`);
    await cluster.sql(`INSERT INTO lagging_t SELECT g, 'x' FROM generate_series(1, 10000) g`);
    await cluster.sql('ANALYZE lagging_t');
    await cluster.sql(`DELETE FROM lagging_t WHERE id <= 5000`);
    await statsShow(cluster, 'lagging_t', { dead: 5000 });
    // A table never vacuumed lags only once autovacuum has had three naptimes since the start to come.
    await waitFor(async () => (await cluster.sql(`SELECT pg_postmaster_start_time() < now() - interval '3 s' AS up`)).rows[0]!.up, 'three naptimes of uptime');
    try {
      const report = await check(cluster);
      const lag = findingsOf(report, 'autovacuum-lag');
      expect(lag).toHaveLength(1); // slow_t is being vacuumed: not lagging
      expect(lag[0]).toMatchObject({ severity: 'warning', subject: { database: 'postgres', schema: 'public', table: 'lagging_t' } });
      expect(lag[0]!.summary).toBe('public.lagging_t in "postgres" has 5,000 dead tuples, past its autovacuum trigger of 2,050, and autovacuum has not processed it (last: never).');
      expect(lag[0]!.evidence[0]).toMatchObject({ dead_tuples: 5000, trigger: 2050, reltuples: 10000, last_autovacuum: null });

      const [running, ...more] = findingsOf(report, 'vacuum-running');
      expect(more).toEqual([]);
      expect(running).toMatchObject({ severity: 'info', subject: { database: 'postgres', table: 'public.slow_t', pid: worker.pid } });
      expect(running!.summary).toMatch(/^Autovacuum of public\.slow_t in "postgres" is \d+% through \(scanning heap\)/);
      expect(running!.evidence[0]).toMatchObject({ backend_type: 'autovacuum worker', query: expect.stringMatching(/^autovacuum: VACUUM (ANALYZE )?public\.slow_t$/), wait_event: 'VacuumDelay' });
    } finally {
      await cluster.sql('SELECT pg_cancel_backend($1)', [worker.pid]);
      await cluster.sql('DROP TABLE lagging_t, slow_t');
    }
  });
});

describe('vacuum checks on PostgreSQL 18: a cluster created with bad settings', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({
      label: 'badsettings',
      autovacuum: false,
      settings: { track_counts: false, autovacuum_freeze_max_age: 1_500_000_000, vacuum_failsafe_age: 100_000_000, autovacuum_vacuum_cost_delay: '50ms' },
    });
  });
  afterAll(() => cluster?.destroy());

  it('autovacuum-disabled (global) is critical for autovacuum and track_counts; vacuum-settings names each bad setting', async () => {
    const report = await check(cluster);
    expect(report.exit_code).toBe(2);
    const disabled = findingsOf(report, 'autovacuum-disabled');
    expect(disabled.map((f) => [f.severity, f.subject])).toEqual([
      ['critical', { setting: 'autovacuum' }],
      ['critical', { setting: 'track_counts' }],
    ]);
    expect(disabled[0]!.evidence[0]).toEqual({ setting: 'autovacuum', value: 'off', source: 'configuration file' });
    expect(disabled[0]!.remediation).toEqual(['ALTER SYSTEM SET autovacuum = on;', 'SELECT pg_reload_conf();']);

    const settings = findingsOf(report, 'vacuum-settings');
    const bySetting = Object.fromEntries(settings.map((f) => [f.subject.setting, f]));
    expect(bySetting.autovacuum_freeze_max_age).toMatchObject({ severity: 'warning', evidence: [{ value: '1500000000', source: 'configuration file' }] });
    expect(bySetting.vacuum_failsafe_age).toMatchObject({ severity: 'info', evidence: [{ value: '100000000' }] });
    expect(bySetting.autovacuum_vacuum_cost_delay).toMatchObject({ severity: 'warning', evidence: [{ value: '50' }] });
    // With autovacuum off, "lag" would only repeat autovacuum-disabled.
    expect(findingsOf(report, 'autovacuum-lag')).toEqual([]);
  });
});
