import { join } from 'node:path';
import type { Cluster } from '../cluster.js';
import { waitForReplay, type Standby } from '../standby.js';
import { once, uniqueName, type Fault } from './fault.js';
import { BLOCK_SIZE, damageBlock, isBtreeLeaf, readBlock, tupleData, writeBlock } from './page-file.js';

export interface CorruptedBlocksOptions {
  database?: string;
  /** Rows in the table, 49 to a page (id int, 128 characters of text). Default 20,000 (409 pages). */
  rows?: number;
  /** The heap blocks to damage. Default: four, two of them adjacent, spread over the table. */
  blocks?: number[];
  /** Damage one leaf page of the table's primary key index too. Default true. */
  index?: boolean;
  /**
   * Tuples to break inside pages that still read (clusters without checksums only: with them the page would fail
   * as a whole): the text value's header is marked compressed, so reading it fails with "compressed pglz data is
   * corrupt" while the rest of the page reads.
   */
  tuples?: { block: number; offset: number }[];
  /** Damage this standby's copy of the files instead of the primary's (the primary stays whole). */
  standby?: Standby;
}

export interface CorruptedBlocksFault extends Fault {
  database: string;
  /** Schema-qualified table, e.g. public.lab_blocks_1a2b3c4d. */
  table: string;
  /** Its primary key index, schema-qualified. */
  index: string;
  /** The damaged heap blocks, ascending. */
  blocks: number[];
  /** The damaged index block, or null. */
  indexBlock: number | null;
  /** The broken tuples (pages that still read). */
  tuples: { block: number; offset: number }[];
  pages: number;
  indexPages: number;
  /** Rows in the table before the damage. */
  rows: number;
  /** Rows in each block before the damage. */
  rowsInBlock: Map<number, number>;
  /** Rows in the damaged heap blocks, and in the blocks of the broken tuples, less the tuples themselves. */
  rowsLost: number;
  /** pg_relation_filepath of the table and of the index, relative to the data directory. */
  relationPath: string;
  indexPath: string;
  /** The damaged cluster: the primary, or the standby. */
  damaged: Cluster;
}

/**
 * Several unreadable heap blocks in one table and a damaged leaf page of its primary key: the table is written and
 * vacuumed twice (so the visibility map marks every page all-visible, as on an old table: an index-only scan then
 * reads the index alone), a CHECKPOINT makes the files the only copy, the cluster (or a standby of it, after
 * replaying that checkpoint) is stopped, bytes in the middle of each chosen block are overwritten, and it is started
 * again. On a cluster with checksums, every read of those pages fails with "invalid page in block N" (XX001).
 */
export async function corruptedBlocks(cluster: Cluster, options: CorruptedBlocksOptions = {}): Promise<CorruptedBlocksFault> {
  const database = options.database ?? 'postgres';
  const damaged = options.standby?.cluster ?? cluster;
  const tuples = options.tuples ?? [];
  const { rows: settings } = await damaged.sql<{ checksums: string }>(`SELECT current_setting('data_checksums') AS checksums`, [], database);
  const checksums = settings[0]?.checksums === 'on';
  if (!checksums && (options.blocks === undefined || options.blocks.length > 0 || options.index !== false)) {
    throw new Error('corruptedBlocks damages whole pages only on a cluster made with checksums: true (else the damage goes unnoticed); pass blocks: [], index: false and tuples instead');
  }
  if (checksums && tuples.length > 0) throw new Error('corruptedBlocks breaks tuples only on a cluster without checksums (with them, the whole page fails)');

  const name = uniqueName('lab_blocks');
  const table = `public.${name}`;
  const index = `public.${name}_pkey`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1) g`, [options.rows ?? 20_000], database);
  // The first VACUUM after the load freezes; the second finds every page frozen and sets the visibility map.
  await cluster.sql(`VACUUM (FREEZE, ANALYZE) ${table}`, [], database);
  await cluster.sql(`VACUUM (FREEZE) ${table}`, [], database);
  const { rows } = await cluster.sql<{ path: string; index_path: string; pages: number; index_pages: number; total: number }>(
    `SELECT pg_relation_filepath($1) AS path, pg_relation_filepath($2) AS index_path, (pg_relation_size($1) / ${BLOCK_SIZE})::int AS pages,
       (pg_relation_size($2) / ${BLOCK_SIZE})::int AS index_pages, (SELECT count(*)::int FROM ${table}) AS total`,
    [table, index],
    database,
  );
  const { path: relationPath, index_path: indexPath, pages, index_pages: indexPages, total } = rows[0]!;
  const { rows: perBlock } = await cluster.sql<{ block: number; n: number }>(`SELECT (ctid::text::point)[0]::int AS block, count(*)::int AS n FROM ${table} GROUP BY 1`, [], database);
  const rowsInBlock = new Map(perBlock.map((r) => [r.block, r.n]));
  const blocks = [...new Set(options.blocks ?? [Math.floor(pages / 10), Math.floor(pages / 2), Math.floor(pages / 2) + 1, pages - 1])].sort((a, b) => a - b);
  for (const b of [...blocks, ...tuples.map((t) => t.block)]) if (b < 0 || b >= pages) throw new Error(`block ${b} is outside ${table} (${pages} blocks)`);

  if (options.standby) {
    // The standby must have replayed a checkpoint after the load: on restart it replays from there, and nothing
    // after it touches the table, so no full-page image repairs what we damage.
    await cluster.sql('CHECKPOINT');
    await waitForReplay(options.standby);
  } else {
    await cluster.sql('CHECKPOINT', [], database);
  }
  await damaged.stop();
  const file = join(damaged.dataDir, relationPath);
  for (const block of blocks) damageBlock(file, block);
  let indexBlock: number | null = null;
  if (options.index ?? true) {
    const indexFile = join(damaged.dataDir, indexPath);
    // A leaf in the middle: neither the metapage (0) nor the root, and one an index scan must pass through.
    for (let b = Math.floor(indexPages / 2); b < indexPages && indexBlock === null; b++) if (isBtreeLeaf(readBlock(indexFile, b))) indexBlock = b;
    if (indexBlock === null) throw new Error(`no leaf page in the second half of ${index}`);
    damageBlock(indexFile, indexBlock);
  }
  for (const tuple of tuples) breakTuple(file, tuple.block, tuple.offset);
  await damaged.start();

  const rowsLost = blocks.reduce((n, b) => n + (rowsInBlock.get(b) ?? 0), 0) + tuples.filter((t) => !blocks.includes(t.block)).length;
  return {
    database,
    table,
    index,
    blocks,
    indexBlock,
    tuples,
    pages,
    indexPages,
    rows: total,
    rowsInBlock,
    rowsLost,
    relationPath,
    indexPath,
    damaged,
    release: once(async () => {
      if (!options.standby) await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
    }),
  };
}

/**
 * Mark one tuple's text value as compressed (pglz, 200 bytes raw): its own bytes are not pglz data, so decoding it
 * fails with "compressed pglz data is corrupt" (XX001), while the page and every other tuple read as before.
 */
function breakTuple(file: string, block: number, offset: number): void {
  const page = readBlock(file, block);
  const data = tupleData(page, offset);
  if (data === undefined) throw new Error(`no tuple at (${block},${offset})`);
  // id int4 at data, then the text's 4-byte varlena header at data + 4 (128 characters: too long for a 1-byte header).
  const header = page.readUInt32LE(data + 4);
  if ((header & 0x3) !== 0) throw new Error(`the value at (${block},${offset}) is not a plain 4-byte varlena`);
  page.writeUInt32LE(header | 0x2, data + 4); // VARATT_IS_4B_C: compressed in line
  page.writeUInt32LE(200, data + 8); // va_tcinfo: raw size 200, method pglz
  writeBlock(file, block, page);
}
