import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster.js';
import { startStandby, type Standby, type StandbyOptions } from '../standby.js';
import { jumpPastRows, writeUnhintedRows, type LostTransactions } from './clog-missing.js';
import { once, type Fault } from './fault.js';

export interface StandbyClogMissingOptions {
  /** Default "postgres". */
  database?: string;
  standby?: StandbyOptions;
}

export interface StandbyClogMissingFault extends Fault {
  /** The primary (healthy: it still has the segment) and its standby (without it). */
  standby: Standby;
  database: string;
  table: string;
  /** The file removed from the standby's data dir only, e.g. "pg_xact/0000". */
  segment: string;
  /** Its size on the primary, in bytes. */
  segmentBytes: number;
  lost: LostTransactions;
  expectedRows: { id: number; v: string }[];
  nextXid: number;
}

/**
 * A hot standby without a pg_xact segment its primary has: the rows and the pg_resetwal jump of `clogMissing`
 * on the primary (PostgreSQL 15), then a fresh standby (pg_basebackup copies the unhinted pages as they are),
 * stopped, the segment removed from its data dir only, and started again. Reads of the table fail on the standby
 * with `could not access status of transaction N` and work on the primary — the incident's promoted standby
 * without the newest commit log, and the case where copying the file from the primary is the safe fix.
 * `release()` destroys the standby (the primary is the caller's).
 */
export async function standbyClogMissing(primary: Cluster, options: StandbyClogMissingOptions = {}): Promise<StandbyClogMissingFault> {
  const written = await writeUnhintedRows(primary, options.database ?? 'postgres');
  const nextXid = await jumpPastRows(primary, written.lost);
  await primary.start();
  const segmentBytes = statSync(join(primary.dataDir, written.segment)).size;
  const standby = await startStandby(primary, { label: 'clog-standby', ...options.standby });
  try {
    await standby.cluster.stop();
    rmSync(join(standby.cluster.dataDir, written.segment));
    await standby.cluster.start();
  } catch (error) {
    await standby.cluster.destroy();
    throw error;
  }
  return {
    ...written,
    standby,
    segmentBytes,
    nextXid,
    release: once(async () => {
      await standby.cluster.destroy();
    }),
  };
}
