import { Cluster } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, parseSqlComment, resetConfiguration, taggedPool, untaggedPool, withTransaction } from '../src/index.js';
import { makePool } from './helpers/pools.js';

const lineOf = (error: Error) => Number(/tagged-pool\.test\.ts:(\d+)/.exec(error.stack ?? '')?.[1]);
const ORIGIN = 'packages/pg/test/tagged-pool.test.ts';

describe('taggedPool: statements sent outside withTransaction name the line that sent them, with no added round trip', () => {
  let cluster: Cluster;
  let raw: pg.Pool;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-tagged-pool', log: { statement: 'all' } });
    raw = makePool(cluster, { max: 2 });
    pool = taggedPool(raw);
    configure({ app: 'shop' });
  });
  afterAll(async () => {
    resetConfiguration();
    await raw?.end();
    await cluster?.destroy();
  });

  /** The statements the server received that contain `marker` (log_statement = all: one line each). */
  const received = (marker: string) =>
    cluster
      .readLog()
      .split('\n')
      .filter((l) => l.includes(marker) && /(statement|execute [^:]*): /.test(l))
      .map((l) => l.replace(/^.*?(statement|execute [^:]*): /, ''));

  it('pool.query (text and config forms) carries the caller’s comment; the pool is still a pg.Pool', async () => {
    expect(pool).toBeInstanceOf(pg.Pool);
    await pool.query('SELECT $1::int AS tagged_text', [1]); const first = lineOf(new Error());
    await pool.query({ text: 'SELECT 2 AS tagged_config' }); const second = lineOf(new Error());
    expect(parseSqlComment(received('tagged_text')[0] ?? '')).toEqual({ app: 'shop', origin: `${ORIGIN}:${first}` });
    expect(parseSqlComment(received('tagged_config')[0] ?? '')).toEqual({ app: 'shop', origin: `${ORIGIN}:${second}` });
    expect(pool.totalCount).toBe(raw.totalCount);
  });

  it('a client from connect() is tagged while checked out; released, the same connection is untagged again', async () => {
    const client = await pool.connect();
    await client.query('SELECT 3 AS while_out'); const line = lineOf(new Error());
    client.release();
    const again = await raw.connect();
    await again.query('SELECT 4 AS after_release');
    again.release();
    expect(parseSqlComment(received('while_out')[0] ?? '')).toEqual({ app: 'shop', origin: `${ORIGIN}:${line}` });
    expect(received('after_release')).toEqual(['SELECT 4 AS after_release']);
  });

  it('left alone: named prepared statements (their text must not change) and withTransaction’s own statements', async () => {
    await pool.query({ name: 'tp_named', text: 'SELECT 5 AS named_stmt' });
    expect(received('named_stmt').every((s) => s.startsWith('SELECT 5'))).toBe(true);
    await withTransaction(pool, (tx) => tx.query('SELECT 6 AS in_tx'));
    const inTx = received('in_tx');
    expect(inTx).toHaveLength(1);
    expect(inTx[0]!.match(/\/\*/g)).toHaveLength(1); // one comment, withTransaction's
    expect(untaggedPool(pool)).toBe(raw);
  });

  it('healthy contrast: with comments off nothing is added', async () => {
    configure({ comment: false });
    try {
      await pool.query('SELECT 7 AS comments_off');
    } finally {
      configure({ comment: undefined });
    }
    expect(received('comments_off')).toEqual(['SELECT 7 AS comments_off']);
  });
});
