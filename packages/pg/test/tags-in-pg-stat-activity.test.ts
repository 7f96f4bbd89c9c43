import { Cluster } from '@mvcc-doctor/lab';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, parseSqlComment, parseTag, withContext, withTransaction, type TransactionClient } from '../src/index.js';
import { gate, makePool, until } from './helpers/pools.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const lineOf = (error: Error) => Number(/tags-in-pg-stat-activity\.test\.ts:(\d+)/.exec(error.stack ?? '')?.[1]);

describe('tags: who opened the transaction, visible in pg_stat_activity', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-tags', log: { statement: 'all' } });
    pool = makePool(cluster, { max: 2 });
    configure({ app: 'orders' });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const activity = async (pid: number) =>
    (await cluster.sql<{ application_name: string; state: string; query: string }>('SELECT application_name, state, query FROM pg_stat_activity WHERE pid = $1', [pid]))
      .rows[0];

  /** Open a transaction that runs `work`, then idles until released; resolves once it idles. */
  async function openIdle(work: (tx: TransactionClient) => Promise<unknown>, route?: string) {
    const hold = gate();
    let pid = 0;
    let line = 0;
    const run = () => {
      const done = withTransaction(pool, async (tx) => { await work(tx); pid = tx.backendPid ?? 0; await hold.wait; }); line = lineOf(new Error());
      return done;
    };
    const done = route ? withContext({ route, traceparent: TRACEPARENT }, run) : run();
    await until(() => pid, 'the transaction to idle');
    return { pid, line, release: async () => (hold.open(), await done) };
  }

  it('by default the comment names app, file:line, route and trace in query while idle in transaction; application_name is left alone', async () => {
    const tx = await openIdle((t) => t.query('SELECT 1'), 'POST /orders');
    try {
      const row = await activity(tx.pid);
      expect(row?.state).toBe('idle in transaction');
      expect(row?.application_name).toBe('pg-test');
      expect(row?.query).toMatch(/^\/\*app='orders',origin='.*',route='POST%20%2Forders',traceparent='00-.*'\*\/ SELECT 1$/);
      expect(parseSqlComment(row?.query ?? '')).toEqual({
        app: 'orders',
        origin: `packages/pg/test/tags-in-pg-stat-activity.test.ts:${tx.line}`,
        route: 'POST /orders',
        traceparent: TRACEPARENT,
      });
    } finally {
      await tx.release();
    }
  });

  it('by default BEGIN goes alone, tagged: one statement, no SET', async () => {
    const tx = await openIdle((t) => t.query('SELECT 3'), 'GET /alone');
    await tx.release();
    const begins = cluster.readLog().split('\n').filter((l) => l.includes('statement: /*') && l.includes('BEGIN') && l.includes('GET%20%2Falone'));
    expect(begins.at(-1)).toMatch(/statement: \/\*app='orders'.*\*\/ BEGIN$/);
  });

  it('a named prepared statement stays untagged; from then on its call site sets application_name, which names the code', async () => {
    const statement = { name: 'tags_named', text: 'SELECT $1::int AS v', values: [7] };
    const names: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Most likely on the same connection (the pool reuses the last idle one): node-postgres throws if a name's text changes.
      const tx = await openIdle((t) => t.query(statement), 'GET /named');
      try {
        const row = await activity(tx.pid);
        expect(row?.query).toBe('SELECT $1::int AS v');
        names.push(row?.application_name ?? '');
        if (round > 0) expect(parseTag(row?.application_name ?? '')).toMatchObject({ app: 'orders', line: tx.line });
      } finally {
        await tx.release();
      }
    }
    expect(names[0]).toBe('pg-test');
    expect(statement).not.toHaveProperty('callback'); // the caller's object is left as it was
  });

  it('a named origin replaces the captured one (no stack capture on hot paths)', async () => {
    const pid = await withTransaction(
      pool,
      async (t) => {
        const { rows } = await t.query<{ query: string }>('SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()');
        expect(parseSqlComment(rows[0]?.query ?? '')).toMatchObject({ app: 'orders', origin: 'orders.create' });
        return t.backendPid;
      },
      { origin: 'orders.create' },
    );
    expect(pid).toBeGreaterThan(0);
  });

  describe('with applicationName: true', () => {
    beforeAll(() => configure({ applicationName: true }));
    afterAll(() => configure({ applicationName: undefined }));

    it('application_name names app, file:line and route while idle in transaction, beside the comment', async () => {
      const tx = await openIdle((t) => t.query('SELECT 1'), 'POST /orders');
      try {
        const row = await activity(tx.pid);
        expect(row?.state).toBe('idle in transaction');
        expect(Buffer.byteLength(row?.application_name ?? '')).toBeLessThanOrEqual(63);
        const tag = parseTag(row?.application_name ?? '');
        expect(tag).toMatchObject({ app: 'orders', line: tx.line }); // the route as far as 63 bytes allow
        expect(tag?.file.endsWith('tags-in-pg-stat-activity.test.ts')).toBe(true);
        expect(parseSqlComment(row?.query ?? '')).toMatchObject({ origin: `packages/pg/test/tags-in-pg-stat-activity.test.ts:${tx.line}` });
      } finally {
        await tx.release();
      }
    });

    it('a named origin names application_name too', async () => {
      const name = await withTransaction(
        pool,
        async (t) => (await t.query<{ name: string }>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()')).rows[0]?.name,
        { origin: 'orders.create' },
      );
      expect(parseTag(name ?? '')).toMatchObject({ app: 'orders', origin: 'orders.create:0' });
    });

    it('the tag is SET LOCAL: after COMMIT the session shows its own application_name again', async () => {
      const pid = await withTransaction(pool, (t) => t.backendPid ?? 0);
      await until(async () => (await activity(pid))?.state === 'idle', 'the session to be idle');
      expect((await activity(pid))?.application_name).toBe('pg-test');
    });

    it('BEGIN and the SET LOCAL arrive as one statement (one round trip), as the server log shows', async () => {
      const tx = await openIdle((t) => t.query('SELECT 2'));
      await tx.release();
      const begins = cluster.readLog().split('\n').filter((l) => l.includes(`[`) && l.includes('statement: /*') && l.includes('BEGIN'));
      expect(begins.length).toBeGreaterThan(0);
      expect(begins.at(-1)).toMatch(/statement: \/\*app='orders'.*\*\/ BEGIN; SET LOCAL application_name = 'orders@.*'$/);
    });
  });
});
