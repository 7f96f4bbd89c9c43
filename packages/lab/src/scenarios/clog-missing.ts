import { chownSync, copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster.js';
import { LabError } from '../lab-error.js';
import { readControlData, setNextXid } from '../reset-wal.js';
import { serverUser } from '../os-user.js';
import { once, uniqueName, type Fault } from './fault.js';

/** XIDs per pg_xact segment: 32 pages of 8 KiB, 4 transactions (2 status bits each) per byte. */
export const XIDS_PER_CLOG_SEGMENT = 1_048_576;

export interface ClogMissingOptions {
  /** Default "postgres". */
  database?: string;
  /**
   * Move NextXID here first (pg_resetwal), so the lost XIDs are known in advance: the table's CREATE takes
   * this XID, and the DELETE of id 1 (the first error a scan of the table reports) takes this + 3.
   */
  firstXid?: number;
  /**
   * NextXID after the pg_resetwal jump: it must lie in a later segment than the rows, so the server starts
   * without the removed file (it reads the page of NextXID at start). Default: the first XID of the segment
   * after the rows' (a page boundary, so pg_resetwal needs no file for it).
   */
  nextXid?: number;
}

/** The transactions whose commit status the removed segment held, each with what it did. */
export interface LostTransactions {
  /** Committed one-row INSERTs of ids 101, 102, 103. */
  inserted: number[];
  /** The committed DELETE of id 1 (a frozen row). */
  deleted: number;
  /** The committed UPDATE of id 2 (a frozen row): its old version carries this xmax, the new one this xmin. */
  updated: number;
  /** An INSERT of id 200 that was rolled back. */
  aborted: number;
  /** The committed INSERT of id 200 after it (a retry). */
  retried: number;
}

export interface ClogMissingFault extends Fault {
  database: string;
  /** Schema-qualified table whose rows need the lost status. */
  table: string;
  /** The removed file, relative to the data dir, e.g. "pg_xact/0000". */
  segment: string;
  /** Its size before removal, in bytes. */
  segmentBytes: number;
  /** A copy of the removed file, outside the data dir (what a backup or another node would hold). */
  savedCopy: string;
  lost: LostTransactions;
  /** `SELECT id, v FROM table ORDER BY id` with the real status: ids 2 (v "updated"), 3..10, 101..103, 200 ("retried"). */
  expectedRows: { id: number; v: string }[];
  /** NextXID after the jump (64-bit, as the server shows it). */
  nextXid: number;
}

/**
 * A missing pg_xact segment that holds the commit status of rows no reader has hinted yet (PostgreSQL 15 with
 * pg_resetwal; the cluster is restarted, so its port changes and earlier sessions end).
 *
 * Ten rows are frozen; then, each in a transaction of its own, three rows are inserted, one frozen row is
 * deleted and one updated, an insert is rolled back and retried. Nothing reads them afterwards, so their tuples
 * carry no hint bits: every reader must look their XIDs up in pg_xact (only readers set hint bits; a clean
 * shutdown's checkpoint writes the pages as they are, so no immediate stop is needed — measured). After a clean
 * stop, `pg_resetwal -x` moves NextXID into the next segment, so the rows' segment is an old one the server
 * does not read at start, and the file is removed. A read of the table then fails with
 * `could not access status of transaction N` (SQLSTATE 58P01), DETAIL `Could not open file "pg_xact/0000"`.
 * Writes and reads of other tables go on. `release()` puts the saved copy back (a stop and a start).
 */
export async function clogMissing(cluster: Cluster, options: ClogMissingOptions = {}): Promise<ClogMissingFault> {
  const written = await writeUnhintedRows(cluster, options.database ?? 'postgres', options.firstXid);
  const nextXid = await jumpPastRows(cluster, written.lost, options.nextXid);
  const saved = join(cluster.dir, `removed-${written.segment.replace('/', '-')}`);
  const file = join(cluster.dataDir, written.segment);
  const segmentBytes = statSync(file).size;
  copyFileSync(file, saved);
  rmSync(file);
  await cluster.start();
  return {
    ...written,
    segmentBytes,
    savedCopy: saved,
    nextXid,
    release: once(async () => {
      if (existsSync(file)) return;
      await cluster.stop();
      copyFileSync(saved, file);
      const { uid, gid } = serverUser();
      chownSync(file, uid, gid);
      await cluster.start();
    }),
  };
}

/** What `writeUnhintedRows` made: the table, its lost transactions and the segment that holds their status. */
export interface UnhintedRows {
  database: string;
  table: string;
  segment: string;
  lost: LostTransactions;
  expectedRows: { id: number; v: string }[];
}

/**
 * Write the table and its unhinted rows, then stop the cluster cleanly. Every later statement reaches rows
 * through the index with seq and bitmap scans off: a scan that visits a committed row sets its hint bit, and
 * a unique index would visit the rolled-back row on the retry; so the index on id is not unique.
 */
export async function writeUnhintedRows(cluster: Cluster, database: string, firstXid?: number): Promise<UnhintedRows> {
  if (firstXid !== undefined) {
    await cluster.stop();
    await setNextXid(cluster, firstXid);
    await cluster.start();
  }
  const table = `public.${uniqueName('lab_clog')}`;
  await cluster.sql(`CREATE TABLE ${table} (id int NOT NULL, v text NOT NULL) WITH (autovacuum_enabled = off)`, [], database);
  await cluster.sql(`CREATE INDEX ON ${table} (id)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, 'old' FROM generate_series(1, 10) g`, [], database);
  // Freezes these rows and the catalogs' (the table's own pg_class row included): nothing else needs the segment.
  await cluster.sql('VACUUM (FREEZE)', [], database);
  const session = await cluster.connect(database, 'mvcc-doctor-lab-clog');
  const xid = async (sql: string): Promise<number> => {
    const { rows } = await session.query<{ xid: string }>(`${sql} RETURNING pg_current_xact_id()::text AS xid`);
    return Number(rows[0]!.xid);
  };
  let lost: LostTransactions;
  try {
    await session.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
    const deleted = await xid(`DELETE FROM ${table} WHERE id = 1`);
    const updated = await xid(`UPDATE ${table} SET v = 'updated' WHERE id = 2`);
    const inserted = [];
    for (const id of [101, 102, 103]) inserted.push(await xid(`INSERT INTO ${table} VALUES (${id}, 'new')`));
    await session.query('BEGIN');
    const aborted = await xid(`INSERT INTO ${table} VALUES (200, 'aborted')`);
    await session.query('ROLLBACK');
    const retried = await xid(`INSERT INTO ${table} VALUES (200, 'retried')`);
    lost = { inserted, deleted, updated, aborted, retried };
  } finally {
    await session.end();
  }
  const segments = new Set(Object.values(lost).flat().map(segmentOf));
  if (segments.size !== 1) throw new LabError('resetwal-failed', `the lost transactions span segments ${[...segments].join(', ')}; use a fresh cluster`);
  await cluster.stop();
  const expectedRows = [
    { id: 2, v: 'updated' },
    ...[3, 4, 5, 6, 7, 8, 9, 10].map((id) => ({ id, v: 'old' })),
    ...[101, 102, 103].map((id) => ({ id, v: 'new' })),
    { id: 200, v: 'retried' },
  ];
  return { database, table, segment: [...segments][0]!, lost, expectedRows };
}

/** pg_resetwal -x past the rows' segment on the stopped cluster; returns the new NextXID. */
export async function jumpPastRows(cluster: Cluster, lost: LostTransactions, wanted?: number): Promise<number> {
  const newest = Math.max(...Object.values(lost).flat());
  const nextXid = wanted ?? (Math.floor(newest / XIDS_PER_CLOG_SEGMENT) + 1) * XIDS_PER_CLOG_SEGMENT;
  if (Math.floor(nextXid / XIDS_PER_CLOG_SEGMENT) === Math.floor(newest / XIDS_PER_CLOG_SEGMENT)) {
    throw new LabError('resetwal-failed', `NextXID ${nextXid} is in the rows' own segment; the server would read it at start`);
  }
  await setNextXid(cluster, nextXid);
  return (await readControlData(cluster)).nextXid;
}

function segmentOf(xid: number): string {
  return `pg_xact/${Math.floor((xid % 2 ** 32) / XIDS_PER_CLOG_SEGMENT).toString(16).toUpperCase().padStart(4, '0')}`;
}
