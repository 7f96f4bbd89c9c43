import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeCommand } from '../../src/cli/freeze-command.js';
import type { CommandIO } from '../../src/cli/io.js';
import { Cluster, waitFor } from '@mvcc-doctor/lab';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli } from './helpers.js';

describe('freeze: Ctrl-C cancels our own backends, and a second run continues (PostgreSQL 18)', () => {
  let cluster: Cluster;
  let locker: pg.Client;

  beforeAll(async () => {
    cluster = await Cluster.create({ major: 18, autovacuum: false, label: 'freeze-cancel' });
    await cluster.sql(`CREATE TABLE big (id int, payload text); INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g`);
    // Someone else's lock keeps our VACUUM of "big" waiting (lock_timeout is long): Ctrl-C must end that wait.
    locker = await cluster.connect('postgres', 'someone-else');
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE big IN SHARE UPDATE EXCLUSIVE MODE');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('an abort while a VACUUM waits cancels that VACUUM with pg_cancel_backend; nothing of ours is left; the other session is untouched', async () => {
    const controller = new AbortController();
    let out = '';
    const io: CommandIO = { out: (t) => void (out += t), err: () => {}, env: {}, color: false, interactive: false };
    const started = Date.now();
    const running = freezeCommand(['run', cluster.connectionString(), '--target-age', '0', '--jobs', '1', '--lock-timeout', '60s', '--json'], io, { signal: controller.signal });
    const waiting = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'mvcc-doctor' AND query LIKE '%VACUUM%"big"%' AND wait_event_type = 'Lock'`,
      );
      return rows[0];
    }, 'our VACUUM of "big" to wait for the lock');
    controller.abort();
    const code = await running;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).toBe(2);
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    expect(result.cancelled).toBe(true);
    expect(result.failed).toEqual([]);
    expect(result.notStarted.map((r) => r.name)).toContain('big');
    // Our sessions are closed; the cancelled backend left no lock request behind; the lock holder lives on.
    const { rows: ours } = await cluster.sql(`SELECT pid FROM pg_stat_activity WHERE application_name = 'mvcc-doctor'`);
    expect(ours).toEqual([]);
    const { rows: waits } = await cluster.sql(`SELECT 1 FROM pg_locks WHERE NOT granted`);
    expect(waits).toEqual([]);
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [waiting.pid])).rows).toEqual([]);
    expect((await cluster.sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'someone-else'`)).rows).toHaveLength(1);
  });

  it('the second run plans again from the current ages and freezes what is left', async () => {
    await locker.query('ROLLBACK');
    const { code, out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0', '--json']);
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    expect(result.frozen.map((f) => f.relation.name)).toContain('big');
    expect(result.cancelled).toBe(false);
    expect(result.failed).toEqual([]);
    expect(result.targetReached).toBe(true);
    expect(code).toBe(0);
  });
});
