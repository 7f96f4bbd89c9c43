import { Cluster, idleInTransaction, lockBlocking, waitFor } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, statsShow } from '../check/run-check.js';
import { parseNagios } from './parse-nagios.js';

describe.each([18, 14])('check --nagios on PostgreSQL %i', (major) => {
  let healthy: Cluster;
  let faulty: Cluster;
  beforeAll(async () => {
    [healthy, faulty] = await Promise.all([
      // Healthy includes the configuration (as in healthy.test.ts): prepared transactions on need an idle timeout.
      Cluster.create({ major, label: `nagiosok${major}`, settings: { idle_in_transaction_session_timeout: '10min' } }),
      // Autovacuum off for the whole cluster is critical by itself.
      Cluster.create({ major, label: `nagioscrit${major}`, autovacuum: false }),
    ]);
  });
  afterAll(() => Promise.all([healthy?.destroy(), faulty?.destroy()]));

  it('healthy: MVCC OK, exit 0, and the perfdata every graph needs', async () => {
    const { code, stdout, stderr } = await cli(['check', healthy.connectionString(), '--nagios', '--sample', '0']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const line = parseNagios(stdout);
    expect(line).toMatchObject({ service: 'MVCC', state: 'OK', text: 'no MVCC problems in 2 database(s)' });
    const { rows } = await healthy.sql<{ age: number }>(`SELECT age(datfrozenxid)::int AS age FROM pg_database WHERE datname = 'postgres'`);
    const xidAge = line.perfdata.get('xid_age_postgres')!;
    // The age only grows between our read and the test's: a few XIDs at most.
    expect(xidAge.value).toBeLessThanOrEqual(rows[0]!.age);
    expect(xidAge).toMatchObject({ uom: '', warn: 200_000_000, min: 0, max: 2 ** 31 - 1 });
    expect(xidAge.crit).toBe(major >= 14 ? 1_600_000_000 : 2 ** 31 - 1 - 10_000_000);
    expect([...line.perfdata.keys()]).toEqual(expect.arrayContaining(['xid_age_postgres', 'xid_age_template1', 'oldest_holder_xids', 'oldest_holder_seconds', 'dead_tuples_postgres', 'lock_waiters']));
    expect(line.perfdata.get('oldest_holder_xids')).toMatchObject({ value: 0, warn: 10_000_000 });
    expect(line.perfdata.get('oldest_holder_seconds')).toMatchObject({ value: 0, uom: 's', warn: 600 });
    expect(line.perfdata.get('lock_waiters')).toMatchObject({ value: 0, min: 0 });
  });

  it('faulty: MVCC CRITICAL, exit 2, naming the worst first, with the holder, dead tuples and waiters measured', async () => {
    const idle = await idleInTransaction(faulty, { deadRows: 3000 });
    const queue = await lockBlocking(faulty, { readers: 2 });
    try {
      await waitFor(async () => {
        const { rows } = await faulty.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`);
        return rows[0]!.n === 3;
      }, 'the ALTER and two readers to queue');
      await statsShow(faulty, idle.table, { dead: 3000 });
      const { code, stdout } = await cli(['check', faulty.connectionString(), '--nagios', '--sample', '0', '--threshold', 'idleInTransactionSeconds=0', '--threshold', 'deadTuples=100']);
      expect(code).toBe(2);
      const line = parseNagios(stdout);
      expect(line.state).toBe('CRITICAL');
      expect(line.text).toMatch(/^\d+ critical, \d+ warning: autovacuum-disabled \(autovacuum\): Autovacuum is off for the whole cluster/);
      expect(line.text).toContain('Also: ');
      expect(line.text).toContain('idle-in-transaction');
      expect(line.perfdata.get('oldest_holder_xids')!.value).toBeGreaterThan(0);
      expect(line.perfdata.get('oldest_holder_seconds')!.value).toBeGreaterThanOrEqual(0);
      expect(line.perfdata.get('lock_waiters')!.value).toBe(3);
      expect(line.perfdata.get('dead_tuples_postgres')!.value).toBeGreaterThanOrEqual(3000);
    } finally {
      await queue.release();
      await idle.release();
    }
  });

  it('cannot diagnose: MVCC UNKNOWN on stdout, exit 3, never the password', async () => {
    const url = new URL(healthy.connectionString());
    url.port = String(healthy.port === 1 ? 2 : 1);
    url.password = 'hunter2';
    const { code, stdout } = await cli(['check', url.toString(), '--nagios']);
    expect(code).toBe(3);
    expect(parseNagios(stdout)).toMatchObject({ state: 'UNKNOWN', perfdata: new Map() });
    expect(stdout).toContain('cannot connect');
    expect(stdout).not.toContain('hunter2');
  });
});
