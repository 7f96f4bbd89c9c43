import { createServer, type Server } from 'node:http';
import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSqlComment, registryHandler, withContext, withTransaction, type LeaseInfo } from '../src/index.js';
import { gate, makePool, until } from './helpers/pools.js';

describe('open-transaction registry served over HTTP, joinable to pg_stat_activity by pid', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  let server: Server;
  let url = '';
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-registry' });
    pool = makePool(cluster, { max: 3 });
    server = createServer(registryHandler());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await pool?.end();
    await cluster?.destroy();
  });

  const fetchRegistry = async () => (await (await fetch(url)).json()) as { pid: number; now: string; transactions: LeaseInfo[] };

  it('lists each open transaction with backend pid, origin, route, start and idle time', async () => {
    const hold = gate();
    const serverPids: number[] = [];
    const open = (route: string) =>
      withContext({ route }, () =>
        withTransaction(pool, async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          serverPids.push(rows[0]?.pid ?? 0);
          await hold.wait;
        }),
      );
    const running = [open('GET /a'), open('POST /b')];
    await until(() => serverPids.length === 2, 'both transactions');
    try {
      const body = await fetchRegistry();
      expect(body.pid).toBe(process.pid);
      expect(body.transactions).toHaveLength(2);
      // processID from the connection's BackendKeyData is the server's own pg_backend_pid(): no query was needed.
      expect(body.transactions.map((t) => t.backendPid).sort()).toEqual([...serverPids].sort());
      for (const t of body.transactions) {
        expect(t).toMatchObject({ kind: 'transaction', state: 'idle', waitingForPool: false, app: 'app' });
        expect(['GET /a', 'POST /b']).toContain(t.route);
        expect(t.origin).toMatch(/^packages\/pg\/test\/registry-handler\.test\.ts:\d+$/);
        expect(Date.parse(t.startedAt)).toBeLessThanOrEqual(Date.parse(body.now));
        expect(Date.parse(t.idleSince ?? '')).toBeGreaterThanOrEqual(Date.parse(t.startedAt));
        expect(t.stack).toContain('registry-handler.test.ts');
        // The doctor's join: same pid, and the server-side tag (the last statement's comment) names the same code.
        const { rows } = await cluster.sql<{ state: string; query: string }>('SELECT state, query FROM pg_stat_activity WHERE pid = $1', [t.backendPid]);
        expect(rows[0]?.state).toBe('idle in transaction');
        expect(parseSqlComment(rows[0]?.query ?? '')?.origin).toBe(t.origin);
      }
    } finally {
      hold.open();
      await Promise.all(running);
    }
    expect((await fetchRegistry()).transactions).toEqual([]);
  });

  it('answers only GET and HEAD, and can leave stacks out', async () => {
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('application/json');
    const bare = createServer(registryHandler({ stacks: false }));
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const hold = gate();
    let started = false;
    const running = withTransaction(pool, async () => {
      started = true;
      await hold.wait;
    });
    await until(() => started, 'the transaction');
    try {
      const res = await fetch(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`);
      const body = (await res.json()) as { transactions: LeaseInfo[] };
      expect(body.transactions).toHaveLength(1);
      expect(body.transactions[0]).not.toHaveProperty('stack');
    } finally {
      hold.open();
      await running;
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});
