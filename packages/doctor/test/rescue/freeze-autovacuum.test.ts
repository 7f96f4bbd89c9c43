import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeCommand } from '../../src/cli/freeze-command.js';
import type { CommandIO } from '../../src/cli/io.js';
import { Cluster, waitFor } from '@mvcc-doctor/lab';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli, tableAge } from './helpers.js';

describe('freeze: a relation that a throttled autovacuum is on is taken over, not waited for (PostgreSQL 18)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({ major: 18, autovacuum: { naptime: '1s' }, label: 'freeze-autovacuum' });
    // Autovacuum on this table sleeps 100 ms after every page or so: minutes for the table.
    await cluster.sql(`CREATE TABLE slow (id int, payload text) WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
    await cluster.sql(`INSERT INTO slow SELECT g, repeat('x', 200) FROM generate_series(1, 40000) g`);
    await cluster.sql('DELETE FROM slow WHERE id % 2 = 0');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('with --leave-autovacuum it is left alone: the run waits for it (here: until Ctrl-C)', async () => {
    const worker = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(
        `SELECT a.pid FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid) WHERE p.relid = 'slow'::regclass AND a.wait_event = 'VacuumDelay'`,
      );
      return rows[0];
    }, 'a throttled autovacuum of "slow"', 30_000);
    const controller = new AbortController();
    let out = '';
    const io: CommandIO = { out: (t) => void (out += t), err: () => {}, env: {}, color: false, interactive: false };
    const running = freezeCommand(['run', cluster.connectionString(), '--target-age', '0', '--json', '--leave-autovacuum'], io, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [worker.pid])).rows).toHaveLength(1);
    controller.abort();
    expect(await running).toBe(2);
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    expect(result.tookOver).toEqual([]);
    expect(result.cancelled).toBe(true);
    // On a loaded machine some catalogs may still wait too; "slow" is never started while autovacuum has it.
    expect(result.notStarted.map((r) => r.name)).toContain('slow');
    expect(result.frozen.map((f) => f.relation.name)).not.toContain('slow');
    expect((await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [worker.pid])).rows).toHaveLength(1);
  });

  it('by default the autovacuum worker sleeping in vacuum_cost_delay is cancelled and the table frozen at full speed', async () => {
    const worker = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(
        `SELECT a.pid FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid)
          WHERE p.relid = 'slow'::regclass AND a.backend_type = 'autovacuum worker' AND a.wait_event = 'VacuumDelay'`,
      );
      return rows[0];
    }, 'a throttled autovacuum of "slow"', 30_000);
    const { out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0', '--json']);
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    // Autovacuum may start on it again in the moment before our VACUUM has its lock: that one is taken over too.
    expect(result.tookOver[0]).toMatchObject({ relation: { name: 'slow' }, pid: worker.pid });
    expect(new Set(result.tookOver.map((t) => t.relation.name))).toEqual(new Set(['slow']));
    expect(result.frozen.map((f) => f.relation.name)).toContain('slow');
    expect(result.failed).toEqual([]);
    expect(await tableAge(cluster, 'public.slow')).toBeLessThan(100);
    const { rows } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE $2', [worker.pid, '%slow%']);
    expect(rows).toEqual([]);
  });
});
