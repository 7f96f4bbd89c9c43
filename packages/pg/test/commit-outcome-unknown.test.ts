import { Cluster } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitOutcomeUnknownError, configure, withTransaction } from '../src/index.js';
import { CutProxy } from './helpers/cut-proxy.js';
import { countingPool, makePool, until } from './helpers/pools.js';

describe('COMMIT outcome unknown: the connection is lost while COMMIT is in flight', () => {
  let cluster: Cluster;
  let proxy: CutProxy;
  let direct: pg.Pool;
  let viaProxy: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-commit-unknown' });
    await cluster.sql(`
      CREATE TABLE slow (id int PRIMARY KEY);
      CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
      CREATE TABLE plain (id int PRIMARY KEY);
      CREATE TABLE uniq (id int, CONSTRAINT uniq_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED);
    `);
    proxy = await CutProxy.start(cluster.port);
    direct = makePool(cluster, { max: 2 });
    viaProxy = new pg.Pool({ ...cluster.connectionConfig(), port: proxy.port, max: 2 });
    viaProxy.on('error', () => {});
    // Even with a "retryable" 57P01 in the set, a COMMIT whose outcome is unknown must not run again.
    configure({ retry: { codes: ['40001', '40P01', '57P01'] }, logger: { warn: () => {}, error: () => {} } });
  });
  afterAll(async () => {
    await direct?.end();
    await viaProxy?.end();
    await proxy?.close();
    await cluster?.destroy();
  });

  const rows = async (table: string) => (await cluster.sql(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n;

  it('backend terminated during a slow COMMIT (deferred trigger): CommitOutcomeUnknownError, ran once, client destroyed', async () => {
    const { pool, releases } = countingPool(direct);
    let runs = 0;
    let pid = 0;
    const outcome = withTransaction(pool, async (tx) => {
      runs++;
      pid = tx.backendPid ?? 0;
      await tx.query('INSERT INTO slow VALUES (1)');
    }).catch((e: unknown) => e);
    await until(
      async () => pid && (await cluster.sql("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE '%COMMIT'", [pid])).rowCount,
      'COMMIT to be running',
    );
    await cluster.sql('SELECT pg_terminate_backend($1)', [pid]);
    const error = await outcome;
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(error).toMatchObject({ code: 'COMMIT_OUTCOME_UNKNOWN', backendPid: pid, cause: { code: '57P01' } });
    expect(runs).toBe(1);
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
    expect(await rows('slow')).toBe(0); // this time it had not committed…
  });

  it('the server committed but the answer never arrived: also unknown, and the row is there', async () => {
    const { pool, releases } = countingPool(viaProxy);
    proxy.arm('COMMIT', 'after-server');
    const error = await withTransaction(pool, (tx) => tx.query('INSERT INTO plain VALUES (1)')).catch((e: unknown) => e);
    expect(proxy.cuts).toBe(1);
    expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(releases.calls).toHaveLength(1);
    expect(releases.calls[0]).toBeTruthy();
    expect(await rows('plain')).toBe(1); // …and this time it had: hence "unknown"
  });

  it('contrast: a COMMIT the server refuses with an ERROR is a known rollback; the error is rethrown and the client reused', async () => {
    const { pool, releases } = countingPool(direct);
    const error = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO uniq VALUES (1), (1)');
    }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(error).toMatchObject({ code: '23505', constraint: 'uniq_id' });
    expect(releases.calls).toEqual([undefined]);
    expect(await rows('uniq')).toBe(0);
  });
});
