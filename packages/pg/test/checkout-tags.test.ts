import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, configure, openTransactions, resetConfiguration, withContext } from '../src/index.js';
import { makePool } from './helpers/pools.js';

describe('checkout(): the session is named like a transaction, and its idle time is counted from its last statement', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-checkout-tags' });
    await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 1 });
    configure({ app: 'orders' });
  });
  afterAll(async () => {
    resetConfiguration();
    await pool?.end();
    await cluster?.destroy();
  });

  const activity = async (pid: number | null | undefined) =>
    (await cluster.sql<{ application_name: string; state: string }>('SELECT application_name, state FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0];

  it('application_name names the app, file:line and route while the client is held, idle in a transaction or not', async () => {
    const client = await withContext({ route: 'GET /report' }, () => checkout<pg.PoolClient>(pool));
    try {
      const pid = (client as unknown as { processID: number }).processID;
      expect((await activity(pid))?.application_name).toMatch(/^orders@packages\/pg\/test\/checkout-tags\.test\.ts:\d+#GET \/report$/);
      await client.query('BEGIN');
      await client.query('SELECT count(*) FROM orders');
      expect(await activity(pid)).toMatchObject({ state: 'idle in transaction', application_name: expect.stringMatching(/^orders@packages\/pg\/test\/checkout-tags\.test\.ts:\d+#GET \/report$/) });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('release puts the session\'s own name back before the pool hands the client to anyone else', async () => {
    const client = await checkout<pg.PoolClient>(pool);
    client.release();
    const next = await pool.connect();
    try {
      expect((await next.query<{ name: string }>("SELECT current_setting('application_name') AS name")).rows[0]?.name).toBe('pg-test');
    } finally {
      next.release();
    }
  });

  it('the registry counts idle time from the last statement (promise, callback and config-callback styles), not from the checkout', async () => {
    const client = await checkout<pg.PoolClient>(pool);
    try {
      const entry = () => openTransactions().find((t) => t.kind === 'client');
      const checkedOutAt = Date.parse(entry()!.startedAt);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = Date.now();
      await client.query('SELECT 1');
      const afterPromise = entry()!;
      expect(afterPromise.state).toBe('idle');
      expect(Date.parse(afterPromise.idleSince!)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(afterPromise.idleSince!)).toBeGreaterThan(checkedOutAt);

      const running = client.query('SELECT pg_sleep(0.2)');
      expect(entry()!.state).toBe('active');
      await running;
      expect(entry()!.state).toBe('idle');

      const beforeCallback = Date.now();
      await new Promise<void>((resolve, reject) => client.query('SELECT 2', (error) => (error ? reject(error) : resolve())));
      expect(Date.parse(entry()!.idleSince!)).toBeGreaterThanOrEqual(beforeCallback);
      await new Promise<void>((resolve, reject) =>
        client.query({ text: 'SELECT 3', callback: (error: Error | null) => (error ? reject(error) : resolve()) } as unknown as pg.QueryConfig),
      );
      expect(entry()!.state).toBe('idle');
    } finally {
      client.release();
    }
    expect(openTransactions()).toEqual([]);
    // The client's own query() is back: the next borrower gets node-postgres untouched.
    const next = await pool.connect();
    expect(Object.prototype.hasOwnProperty.call(next, 'query')).toBe(false);
    next.release();
  });

  it('with applicationName: false, no SET is sent', async () => {
    configure({ applicationName: false });
    try {
      const client = await checkout<pg.PoolClient>(pool);
      try {
        expect((await client.query<{ name: string }>("SELECT current_setting('application_name') AS name")).rows[0]?.name).toBe('pg-test');
      } finally {
        client.release();
      }
    } finally {
      configure({ applicationName: undefined });
    }
  });
});
