import { Cluster } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  installCrashHandlers,
  lockRows,
  registryHandler,
  startWatchdog,
  withContext,
  withTransaction,
  type TransactionClient,
} from '../src/index.js';
import { countingPool, makePool } from './helpers/pools.js';

/** Plain-JavaScript mistakes: each is refused once, at the call, with the option and the value named. */
describe('options are checked where they are given', () => {
  let cluster: Cluster;
  let pool: pg.Pool;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-options' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    pool = makePool(cluster, { max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await cluster?.destroy();
  });

  const refusal = async (outcome: Promise<unknown>) => {
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  };

  it('withTransaction: a typo, a wrong type, a bad range or enum is one rejected promise, before any client is taken', async () => {
    const { pool: counted, releases } = countingPool(pool);
    const cases: [object, string, string][] = [
      [{ isolation: 'serializable' }, 'isolation', 'withTransaction(): option isolation is not known (did you mean isolationLevel?); got "serializable"'],
      [{ isolationLevel: 'serialisable' }, 'isolationLevel', "must be one of 'read committed', 'repeatable read', 'serializable', 'read uncommitted'"],
      [{ readOnly: 'no' }, 'readOnly', 'withTransaction(): option readOnly must be true or false; got "no"'],
      [{ retry: { maxAttempts: 'five' } }, 'retry.maxAttempts', 'got "five"'],
      [{ retry: { maxElapsedMs: 'ten' } }, 'retry.maxElapsedMs', 'got "ten"'],
      [{ statementTimeout: -1 }, 'statementTimeout', 'at least 0; got -1'],
      [{ lockTimeout: '1; DROP TABLE t' }, 'lockTimeout', 'got "1; DROP TABLE t"'],
      [{ afterCommit: 'send mail' }, 'afterCommit', 'must be a function'],
      [{ origin: '' }, 'origin', 'must be a non-empty string; got ""'],
    ];
    for (const [options, option, message] of cases) {
      let outcome: Promise<unknown> | undefined;
      expect(() => {
        outcome = withTransaction(counted, () => 1, options as never);
      }).not.toThrow();
      const error = await refusal(outcome!);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', where: 'withTransaction()', option });
      expect(error.message).toContain(message);
    }
    expect(releases.checkouts).toBe(0);
    // Upper case levels were always accepted.
    expect(await withTransaction(counted, async (tx) => (await tx.query('SHOW transaction_isolation')).rows[0], { isolationLevel: 'SERIALIZABLE' as never })).toEqual({
      transaction_isolation: 'serializable',
    });
  });

  it('withTransaction: no pool, a callback that is not a function', async () => {
    expect((await refusal(withTransaction(undefined as never, () => 1))).message).toBe(
      'withTransaction(): argument pool must be a pg.Pool (or anything whose connect() gives clients), a connected pg.Client, or a transaction client (for a savepoint); got undefined',
    );
    expect((await refusal(withTransaction({ host: 'db', password: 'hunter2' } as never, () => 1))).message).not.toContain('hunter2');
    expect((await refusal(withTransaction(pool, 'SELECT 1' as never))).message).toBe('withTransaction(): argument fn must be a function (tx) => …; got "SELECT 1"');
    await withTransaction(pool, async (tx) => {
      expect((await refusal(withTransaction(tx, undefined as never))).option).toBe('fn');
    });
  });

  it('a pg.Client that is not connected: told to connect it, not pg\'s "already been connected"', async () => {
    const client = new pg.Client(cluster.connectionConfig());
    const error = await refusal(withTransaction(client, () => 1));
    expect(error.message).toContain('is a pg.Client that is not connected: await client.connect() first');
    expect(error.message).toContain('got an object (Client)');
    expect(error.message).not.toContain(String(cluster.connectionConfig().port));
  });

  it('the other entry points', () => {
    const invalid = (call: () => unknown, option: string) => {
      expect(call).toThrow(InvalidOptionError);
      try {
        call();
      } catch (error) {
        expect(error).toMatchObject({ option });
      }
    };
    invalid(() => startWatchdog({ warnAfterMs: -1 }), 'warnAfterMs');
    invalid(() => startWatchdog({ intervalMs: 0 }), 'intervalMs');
    invalid(() => startWatchdog({ killAfter: 10 } as never), 'killAfter');
    invalid(() => installCrashHandlers({ on: ['SIGTERM', 'crash'] as never }), 'on');
    invalid(() => installCrashHandlers({ timeoutMs: '2s' as never }), 'timeoutMs');
    invalid(() => registryHandler({ stacks: 'no' as never }), 'stacks');
    invalid(() => withContext({ route: 42 } as never, () => 1), 'route');
    invalid(() => withContext({}, 'not a function' as never), 'fn');
    expect(withContext({ route: 'GET /' }, () => 'ran')).toBe('ran');
  });

  it('lockRows: options and ids', async () => {
    await withTransaction(pool, async (tx: TransactionClient) => {
      await expect(lockRows(tx, 't', [1], { strength: 'exclusive' as never })).rejects.toMatchObject({ option: 'strength' });
      await expect(lockRows(tx, 't', 1 as never)).rejects.toMatchObject({ option: 'ids' });
      expect(await lockRows(tx, 't', [1], { strength: 'share' })).toEqual([]);
    });
  });
});
