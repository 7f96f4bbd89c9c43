import type pg from 'pg';
import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface LockBlockingOptions {
  database?: string;
  /** How many plain SELECTs queue up behind the ALTER TABLE. Default 3. */
  readers?: number;
  /** application_name of the idle-in-transaction session holding AccessShareLock, as an app would set it. */
  applicationName?: string;
}

export interface LockBlockingFault extends Fault {
  database: string;
  /** Quoted, schema-qualified table the queue forms on. */
  table: string;
  /** The idle-in-transaction session that holds AccessShareLock: the root of the queue. */
  holderPid: number;
  /** The ALTER TABLE waiting for AccessExclusiveLock behind the holder. */
  alterPid: number;
  /** The exact ALTER statement, as pg_stat_activity.query shows it. */
  alterQuery: string;
  /** Readers waiting behind the ALTER (not behind the holder: their locks do not conflict with it). */
  readerPids: number[];
  /** The exact SELECT every reader runs. */
  readerQuery: string;
}

/**
 * The DDL lock queue: a forgotten transaction that only read a table holds AccessShareLock, an
 * `ALTER TABLE … ADD COLUMN` queues for AccessExclusiveLock behind it, and every later reader queues behind
 * the ALTER — one idle session and one harmless migration stop all traffic to the table.
 */
export async function lockBlocking(cluster: Cluster, options: LockBlockingOptions = {}): Promise<LockBlockingFault> {
  const database = options.database ?? 'postgres';
  const readerCount = options.readers ?? 3;
  const name = uniqueName('lab_lockq');
  const table = `public."${name}"`;
  const alterQuery = `ALTER TABLE ${table} ADD COLUMN added_by_migration int`;
  const readerQuery = `SELECT count(*) FROM ${table}`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 100) g`, [], database);

  const holder = await cluster.connect(database, options.applicationName ?? 'lab-lock-queue-holder');
  const alter = await cluster.connect(database, 'lab-lock-queue-alter');
  const readers = await Promise.all(Array.from({ length: readerCount }, (_, i) => cluster.connect(database, `lab-lock-queue-reader-${i + 1}`)));
  const pids = await Promise.all([holder, alter, ...readers].map(backendPid));
  const holderPid = pids[0]!;
  const alterPid = pids[1]!;
  const readerPids = pids.slice(2);
  // Blocked statements settle only when released; their rejections (cancelled) are expected and kept quiet.
  const pending: Promise<unknown>[] = [];

  const release = once(async () => {
    // Cancel from the back of the queue to the front, so nothing runs when the holder lets go.
    for (const pid of [...readerPids, alterPid]) await cluster.sql('SELECT pg_cancel_backend($1)', [pid], database);
    await Promise.all(pending);
    try {
      await holder.query('ROLLBACK');
    } catch {
      // terminated by a test or by the doctor: its lock is gone either way
    }
    await Promise.all([holder, alter, ...readers].map(endQuietly));
    await waitFor(
      async () => (await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [pids], database)).rowCount === 0,
      'the lock-queue sessions to exit',
    );
    await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
  });

  try {
    await holder.query('BEGIN');
    await holder.query(readerQuery);

    pending.push(alter.query(alterQuery).catch(() => undefined));
    // Readers must join only once the ALTER is queued; a reader that came first would simply run.
    await waitForLockWait(cluster, database, [alterPid]);
    for (const reader of readers) pending.push(reader.query(readerQuery).catch(() => undefined));
    await waitForLockWait(cluster, database, readerPids);
  } catch (error) {
    await release();
    throw error;
  }

  return { database, table, holderPid, alterPid, alterQuery, readerPids, readerQuery, release };
}

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

/** Until every pid is waiting for a heavyweight lock, as the server reports it. */
async function waitForLockWait(cluster: Cluster, database: string, pids: number[]): Promise<void> {
  await waitFor(async () => {
    const { rows } = await cluster.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND wait_event_type = 'Lock'`,
      [pids],
      database,
    );
    return rows[0]!.n === pids.length;
  }, `sessions ${pids.join(', ')} to wait for a lock`);
}
