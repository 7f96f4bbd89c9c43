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

  it('application_name names app, file:line and route while idle in transaction; the comment is in query', async () => {
    const tx = await openIdle((t) => t.query('SELECT 1'), 'POST /orders');
    try {
      const row = await activity(tx.pid);
      expect(row?.state).toBe('idle in transaction');
      expect(Buffer.byteLength(row?.application_name ?? '')).toBeLessThanOrEqual(63);
      const tag = parseTag(row?.application_name ?? '');
      expect(tag).toMatchObject({ app: 'orders', line: tx.line });
      expect(tag?.file.endsWith('tags-in-pg-stat-activity.test.ts')).toBe(true);
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

  it('with a named prepared statement the query text stays untagged, and application_name still names the code', async () => {
    const statement = { name: 'tags_named', text: 'SELECT $1::int AS v', values: [7] };
    for (let round = 0; round < 2; round++) {
      // Twice, most likely on the same connection (the pool reuses the last idle one): node-postgres throws if a name's text changes.
      const tx = await openIdle((t) => t.query(statement));
      try {
        const row = await activity(tx.pid);
        expect(row?.query).toBe('SELECT $1::int AS v');
        expect(parseTag(row?.application_name ?? '')).toMatchObject({ app: 'orders', line: tx.line });
      } finally {
        await tx.release();
      }
    }
    expect(statement).not.toHaveProperty('callback'); // the caller's object is left as it was
  });

  it('a named origin replaces the captured one (no stack capture on hot paths)', async () => {
    const pid = await withTransaction(
      pool,
      async (t) => {
        const { rows } = await t.query<{ name: string; query: string }>(
          'SELECT application_name AS name, query FROM pg_stat_activity WHERE pid = pg_backend_pid()',
        );
        expect(parseTag(rows[0]?.name ?? '')).toMatchObject({ app: 'orders', origin: 'orders.create:0' });
        expect(parseSqlComment(rows[0]?.query ?? '')).toMatchObject({ origin: 'orders.create' });
        return t.backendPid;
      },
      { origin: 'orders.create' },
    );
    expect(pid).toBeGreaterThan(0);
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
