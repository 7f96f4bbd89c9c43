import pg from 'pg';
import type { Cluster } from '../cluster.js';
import { waitFor } from '../evidence.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface ReplicationSlotOptions {
  /** Database of the logical slot and of the table with dead rows. Default "postgres". */
  database?: string;
  /** Make an unconsumed logical slot (catalog_xmin). Default true. Needs wal_level=logical. */
  logical?: boolean;
  /** Output plugin of the logical slot. Default "test_decoding" (shipped with every build we use). */
  plugin?: string;
  /** Make an inactive physical slot holding an xmin, as a gone hot_standby_feedback standby leaves it. Default true. */
  physical?: boolean;
  /** Rows deleted after the slots were made: dead tuples that only the physical slot's xmin keeps. Default 1000. */
  deadRows?: number;
  /** Tables created and dropped after the slots were made: dead catalog rows the logical slot keeps. Default 5. */
  catalogChurn?: number;
}

/** One slot as pg_replication_slots shows it after the scenario made it. */
export interface SlotState {
  name: string;
  type: 'logical' | 'physical';
  /** Oldest XID whose deletions VACUUM must keep in every table (physical slot fed by a standby). */
  xmin: string | null;
  /** Oldest XID whose deletions VACUUM must keep in the catalogs (logical slot). */
  catalogXmin: string | null;
  /** Oldest WAL position the slot keeps on disk. */
  restartLsn: string;
}

export interface ReplicationSlotFault extends Fault {
  database: string;
  logical: SlotState | null;
  physical: SlotState | null;
  /** Quoted, schema-qualified table with the dead tuples. */
  table: string;
  deadRows: number;
}

/**
 * Replication slots nobody reads any more: a logical slot whose consumer stopped (its catalog_xmin holds
 * back catalog cleanup and its restart_lsn keeps WAL), and a physical slot whose hot_standby_feedback
 * standby went away after reporting an xmin (it holds back cleanup in every table of every database).
 *
 * Creating a logical slot waits for every transaction running at that moment to finish: make this fault
 * before faults that leave transactions open on the same cluster.
 */
export async function replicationSlot(cluster: Cluster, options: ReplicationSlotOptions = {}): Promise<ReplicationSlotFault> {
  const database = options.database ?? 'postgres';
  const deadRows = options.deadRows ?? 1000;
  const table = `public.${uniqueName('lab_slot')}`;
  const made: { name: string; database: string }[] = [];
  const release = once(async () => {
    // Inactive slots drop at once; a logical slot is dropped from its own database, as a consumer would.
    for (const { name, database: db } of made) {
      await cluster.sql('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [name], db);
    }
    await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
  });
  try {
    await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text); ALTER TABLE ${table} SET (autovacuum_enabled = off)`, [], database);
    await cluster.sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1) g`, [deadRows * 2], database);

    if (options.logical ?? true) {
      const name = uniqueName('lab_logical');
      made.push({ name, database });
      await cluster.sql('SELECT pg_create_logical_replication_slot($1, $2)', [name, options.plugin ?? 'test_decoding'], database);
    }
    if (options.physical ?? true) {
      const name = uniqueName('lab_physical');
      made.push({ name, database: 'postgres' });
      await cluster.sql('SELECT pg_create_physical_replication_slot($1, true)', [name]);
      await standbyFeedback(cluster, name);
    }

    // Work the slots fall behind on: WAL, dead catalog rows (DDL), dead table rows.
    for (let i = 0; i < (options.catalogChurn ?? 5); i++) {
      const churn = `public.${uniqueName('lab_slot_churn')}`;
      await cluster.sql(`CREATE TABLE ${churn} (id int, note text); DROP TABLE ${churn}`, [], database);
    }
    await cluster.sql(`DELETE FROM ${table} WHERE id <= $1`, [deadRows], database);

    const { rows } = await cluster.sql<SlotState>(
      `SELECT slot_name AS name, slot_type AS type, xmin::text AS xmin, catalog_xmin::text AS "catalogXmin",
              restart_lsn::text AS "restartLsn"
         FROM pg_replication_slots WHERE slot_name = ANY($1)`,
      [made.map((m) => m.name)],
    );
    return {
      database,
      logical: rows.find((r) => r.type === 'logical') ?? null,
      physical: rows.find((r) => r.type === 'physical') ?? null,
      table,
      deadRows,
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Do what a standby with hot_standby_feedback=on does, for real: open a physical replication connection,
 * START_REPLICATION on the slot, send one Hot Standby Feedback message with the oldest XID its queries
 * need, then go away. The walsender stores that xmin in the slot, and the slot keeps it once inactive.
 */
async function standbyFeedback(cluster: Cluster, slot: string): Promise<void> {
  // The feedback xmin must be in the recent past, as a standby's is: the oldest XID still running now.
  const { rows } = await cluster.sql<{ xmin: string; lsn: string }>(
    `SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS xmin, restart_lsn::text AS lsn
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const fullXmin = BigInt(rows[0]!.xmin);
  const xmin = Number(fullXmin & 0xffffffffn);

  const config = { ...cluster.connectionConfig('postgres'), replication: 'true', application_name: 'lab-standby' };
  const standby = new pg.Client(config as pg.ClientConfig);
  standby.on('error', () => {}); // ending the copy stream by disconnecting is the point
  await standby.connect();
  try {
    const connection = standby.connection as pg.Connection & { sendCopyFromChunk(chunk: Buffer): void };
    const started = new Promise<void>((resolve) => connection.once('replicationStart', () => resolve()));
    // Stays pending for as long as the stream runs; it ends with the connection.
    const streaming = standby.query(`START_REPLICATION SLOT "${slot}" PHYSICAL ${rows[0]!.lsn}`);
    streaming.catch(() => undefined);
    await Promise.race([
      started,
      streaming.then(() => {
        throw new Error(`START_REPLICATION on slot ${slot} ended before streaming`);
      }),
    ]);
    connection.sendCopyFromChunk(hotStandbyFeedback(xmin, Number(fullXmin >> 32n)));
    await waitFor(async () => {
      const { rows: now } = await cluster.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND xmin = $2::text::xid', [slot, String(xmin)]);
      return now.length === 1;
    }, `the feedback xmin ${xmin} to reach slot ${slot}`);
  } finally {
    await endQuietly(standby);
  }
  await waitFor(async () => {
    const { rows: now } = await cluster.sql('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]);
    return now.length === 1;
  }, `slot ${slot} to become inactive`);
}

/** Microseconds between 1970-01-01 and 2000-01-01, the epoch of replication protocol timestamps. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * Hot Standby Feedback ('h'): send time, xmin and its epoch, catalog_xmin and its epoch (0: none).
 * https://www.postgresql.org/docs/current/protocol-replication.html
 */
function hotStandbyFeedback(xmin: number, epoch: number): Buffer {
  const message = Buffer.alloc(1 + 8 + 4 * 4);
  message.write('h', 0, 'ascii');
  message.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS, 1);
  message.writeUInt32BE(xmin, 9);
  message.writeUInt32BE(epoch, 13);
  message.writeUInt32BE(0, 17);
  message.writeUInt32BE(0, 21);
  return message;
}
