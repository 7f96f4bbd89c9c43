import { Cluster } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, events, withTransaction } from '../src/index.js';
import { CutProxy } from './helpers/cut-proxy.js';
import { countingPool, until } from './helpers/pools.js';

describe('a ROLLBACK that fails (the connection is cut while ROLLBACK is sent)', () => {
  let cluster: Cluster;
  let proxy: CutProxy;
  let raw: pg.Pool;
  const logged: string[] = [];
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-rollback-fails' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    proxy = await CutProxy.start(cluster.port);
    raw = new pg.Pool({ ...cluster.connectionConfig(), port: proxy.port, max: 2 });
    raw.on('error', () => {});
    configure({ logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) } });
  });
  afterAll(async () => {
    await raw?.end();
    await proxy?.close();
    await cluster?.destroy();
  });

  it('rethrows the original error with the rollback failure attached, destroys the client, and the server rolled back', async () => {
    const { pool, releases } = countingPool(raw);
    const reported: unknown[] = [];
    events.on('rollback-failed', (e) => reported.push(e));
    const boom = new Error('business rule violated');
    let pid = 0;
    proxy.arm('ROLLBACK', 'before-server');
    const error = await withTransaction(pool, async (tx) => {
      pid = tx.backendPid ?? 0;
      await tx.query('INSERT INTO t VALUES (1)');
      throw boom;
    }).catch((e: unknown) => e);

    expect(proxy.cuts).toBe(1);
    expect(error).toBe(boom); // the original, not the rollback's error
    expect((boom as Error & { rollbackError?: Error }).rollbackError?.message).toMatch(/terminat|connection|closed/i);
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
    expect(reported).toHaveLength(1);
    expect(logged.some((line) => line.includes('ROLLBACK failed') && line.includes('rollback-fails.test.ts'))).toBe(true);
    // The server saw the connection go and rolled back on its own.
    await until(async () => (await cluster.sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.n === 0, 'backend exit');
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });

  it('with a healthy connection the ROLLBACK succeeds, nothing is attached and the client goes back to the pool', async () => {
    const { pool, releases } = countingPool(raw);
    const boom = new Error('plain failure');
    await expect(withTransaction(pool, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(boom).not.toHaveProperty('rollbackError');
    expect(releases.calls).toEqual([undefined]);
  });
});
