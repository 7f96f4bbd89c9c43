import { Cluster } from '@mvcc-doctor/lab';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkout, ClientBusyError, parseSqlComment, ConnectionLostError, InvalidOptionError, openTransactions, withTransaction, type TransactionClient } from '../src/index.js';
import { gate, until } from './helpers/pools.js';

describe('a single pg.Client where a pool is expected', () => {
  let cluster: Cluster;
  let client: pg.Client;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-single-client' });
    await cluster.sql('CREATE TABLE t (id int PRIMARY KEY)');
    client = new pg.Client({ ...cluster.connectionConfig(), application_name: 'single' });
    client.on('error', () => {});
    await client.connect();
  });
  beforeEach(async () => {
    await cluster.sql('TRUNCATE t');
  });
  afterAll(async () => {
    await client?.end().catch(() => {});
    await cluster?.destroy();
  });

  const ids = async () => (await cluster.sql<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

  it('runs the transaction on it, tagged; commits, rolls back, and leaves the client connected and the caller\'s', async () => {
    const tag = await withTransaction(client, async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      return (await tx.query<{ query: string }>('SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()')).rows[0]?.query;
    });
    expect(parseSqlComment(tag ?? '')?.origin).toMatch(/^packages\/pg\/test\/single-client\.test\.ts:\d+$/);
    await expect(withTransaction(client, async (tx) => {
      await tx.query('INSERT INTO t VALUES (2)');
      throw new Error('no');
    })).rejects.toThrow('no');
    expect(await ids()).toEqual([1]);
    // Still connected, still the caller's: its own name back, usable directly.
    expect((await client.query<{ name: string }>("SELECT current_setting('application_name') AS name")).rows[0]?.name).toBe('single');
    expect(openTransactions()).toEqual([]);
  });

  it('savepoints and retries run on the same connection', async () => {
    let runs = 0;
    const pids = new Set<number | undefined>();
    await withTransaction(
      client,
      async (tx) => {
        runs++;
        pids.add(tx.backendPid);
        await withTransaction(tx, (sp) => sp.query(`INSERT INTO t VALUES (${10 + runs})`));
        if (runs === 1) throw new Error('again');
      },
      { retry: { retryIf: (error) => (error as Error).message === 'again' } },
    );
    expect(runs).toBe(2);
    expect(pids.size).toBe(1);
    expect(await ids()).toEqual([12]);
  });

  it('one transaction at a time: a second one meanwhile is refused with ClientBusyError, not queued on the same session', async () => {
    const hold = gate();
    const first = withTransaction(client, async (tx) => {
      await tx.query('INSERT INTO t VALUES (20)');
      await hold.wait;
    });
    await until(() => openTransactions().length === 1, 'the first transaction');
    const second = await withTransaction(client, (tx) => tx.query('INSERT INTO t VALUES (21)')).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ClientBusyError);
    expect((second as Error).message).toMatch(/already runs the transaction opened at packages\/pg\/test\/single-client\.test\.ts:\d+/);
    hold.open();
    await first;
    await withTransaction(client, (tx) => tx.query('INSERT INTO t VALUES (22)'));
    expect(await ids()).toEqual([20, 22]);
  });

  it('checkout() wants a pool', async () => {
    await expect(checkout(client as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('its connection lost while idle in the transaction: ConnectionLostError (57P01), and the dead client is ended', async () => {
    const own = new pg.Client(cluster.connectionConfig());
    own.on('error', () => {});
    await own.connect();
    const ended = new Promise<void>((resolve) => own.once('end', () => resolve()));
    const hold = gate();
    let tx: TransactionClient | undefined;
    const outcome = withTransaction(own, async (t) => {
      await t.query('INSERT INTO t VALUES (30)');
      tx = t; // idle in transaction from here
      await hold.wait;
      await t.query('INSERT INTO t VALUES (31)');
    }).catch((e: unknown) => e);
    await until(() => tx?.backendPid, 'the transaction');
    await cluster.sql('SELECT pg_terminate_backend($1)', [tx!.backendPid]);
    await until(() => tx?.ended, 'the client to see its connection end');
    hold.open();
    expect(await outcome).toBeInstanceOf(ConnectionLostError);
    expect(await outcome).toMatchObject({ sqlstate: '57P01', backendPid: tx!.backendPid });
    await ended;
    expect(await ids()).toEqual([]);
  });
});
