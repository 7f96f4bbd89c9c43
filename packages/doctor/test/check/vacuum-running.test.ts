import { Cluster, waitFor } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import vacuumRunning from '../../src/checks/vacuum-running.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, findingsOf } from './run-check.js';
import { snapshot, vacuumProgress } from './row-fixtures.js';

/** Until `pid` waits with this wait_event_type, as pg_stat_activity shows it. */
async function waitsOn(cluster: Cluster, pid: number, type: string): Promise<void> {
  await waitFor(async () => {
    const { rows } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [pid, type]);
    return rows.length === 1;
  }, `pid ${pid} to wait on ${type}`);
}

testCheck(vacuumRunning, {
  evaluate: {
    faulty: [
      {
        name: 'an autovacuum running: info, with its progress',
        snapshot: snapshot({ vacuumProgress: [vacuumProgress(7, 'public.orders')] }),
        findings: [{ severity: 'info', subject: { database: 'app', table: 'public.orders', pid: 7 }, summary: 'Autovacuum of public.orders in "app" is 50% through (scanning heap) after 30s.' }],
      },
      {
        name: 'a VACUUM waiting on a lock: a warning, and how to find the holder',
        snapshot: snapshot({ vacuumProgress: [vacuumProgress(8, 'public.orders', { backend_type: 'client backend', query: 'VACUUM orders', wait_event_type: 'Lock', wait_event: 'relation', heap_blks_scanned: 0 })] }),
        findings: [{ severity: 'warning', summary: 'VACUUM of public.orders in "app" is 0% through (scanning heap) after 30s, waiting on a relation lock.', remediation: [expect.stringContaining('lock-blocking'), 'SELECT pg_blocking_pids(8);'] }],
      },
      { name: 'waiting on a buffer pin: a warning', snapshot: snapshot({ vacuumProgress: [vacuumProgress(9, 'public.orders', { wait_event_type: 'BufferPin', wait_event: 'BufferPin' })] }), findings: [{ severity: 'warning', summary: expect.stringContaining('waiting on a buffer pin') }] },
      {
        name: 'an anti-wraparound autovacuum over an hour: a warning',
        snapshot: snapshot({ vacuumProgress: [vacuumProgress(10, 'public.orders', { query: 'autovacuum: VACUUM public.orders (to prevent wraparound)', seconds: 3700 })] }),
        findings: [{ severity: 'warning', summary: expect.stringMatching(/^Autovacuum \(anti-wraparound\) of public\.orders/) }],
      },
    ],
    healthy: [{ name: 'no vacuum in progress', snapshot: snapshot() }],
  },
  cluster: [
    suite({
      // The lab defaults: the tables here have autovacuum off, and the default naptime keeps stray workers rare.
      name: 'PostgreSQL 18',
      start: () => Cluster.create({ label: 'vacrunning' }),
      healthy: {
        'a default-settings cluster: no vacuum-running finding': (cluster) => check(cluster),
      },
      faulty: {
        'a VACUUM waiting for the lock another session holds is shown waiting (warning)': async (cluster) => {
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
            return report;
          } finally {
            await Promise.allSettled([holder.end(), vacuum.end()]);
            await cluster.sql('DROP TABLE locked_t');
          }
        },
        'a VACUUM (FREEZE) stuck on a buffer pin of an open cursor is shown waiting': async (cluster) => {
          await cluster.sql(`CREATE TABLE pinned_t (id int, v text) WITH (autovacuum_enabled = off); INSERT INTO pinned_t SELECT g, 'x' FROM generate_series(1, 1000) g`);
          const reader = await cluster.connect('postgres', 'lab-cursor');
          const vacuum = await cluster.connect('postgres', 'lab-vacuum');
          let report: Report;
          try {
            await reader.query('BEGIN');
            await reader.query('DECLARE c CURSOR FOR SELECT * FROM pinned_t');
            await reader.query('FETCH 1 FROM c'); // the cursor keeps the first page pinned
            const pid = (await vacuum.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
            const running = vacuum.query('VACUUM (FREEZE) pinned_t').catch(() => undefined);
            await waitsOn(cluster, pid, 'BufferPin');
            report = await check(cluster);
            const [finding, ...more] = findingsOf(report, 'vacuum-running');
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
          return report;
        },
      },
    }),
  ],
});
