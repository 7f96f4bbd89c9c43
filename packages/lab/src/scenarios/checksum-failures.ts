import { join } from 'node:path';
import type { Cluster } from '../cluster.js';
import { once, uniqueName, type Fault } from './fault.js';
import { BLOCK_SIZE, damageBlock } from './page-file.js';

export interface ChecksumFailuresOptions {
  database?: string;
  /** Rows in the table, about 45 to a page. Default 9000 (about 200 pages). */
  rows?: number;
  /** The block to damage. Default: the middle one. */
  block?: number;
  /** How many bytes to overwrite in the middle of the block. Default 64. */
  bytes?: number;
}

export interface ChecksumFailuresFault extends Fault {
  database: string;
  /** Schema-qualified table with the bad block. */
  table: string;
  /** The damaged block number. */
  block: number;
  /** Blocks in the table. */
  pages: number;
  /** The relation file as pg_relation_filepath gives it, relative to the data dir (e.g. "base/5/16434"). */
  relationPath: string;
  /** The same file, absolute. */
  file: string;
}

/**
 * A heap page whose checksum no longer matches: on a cluster made with `checksums: true`, a table of many
 * pages is written, the cluster is stopped, bytes in the middle of one 8 KiB block of the relation file
 * are overwritten, and the cluster is started again (so earlier sessions end and the port changes).
 * Every read of that block then fails with "invalid page in block N" (SQLSTATE XX001); the others read fine.
 */
export async function checksumFailures(cluster: Cluster, options: ChecksumFailuresOptions = {}): Promise<ChecksumFailuresFault> {
  const database = options.database ?? 'postgres';
  const { rows: checksums } = await cluster.sql<{ setting: string }>(`SELECT current_setting('data_checksums') AS setting`, [], database);
  if (checksums[0]?.setting !== 'on') throw new Error('checksumFailures needs a cluster made with checksums: true, or the damage goes unnoticed');
  const table = `public.${uniqueName('lab_corrupt')}`;
  await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)`, [], database);
  await cluster.sql(`INSERT INTO ${table} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1) g`, [options.rows ?? 9000], database);
  const { rows } = await cluster.sql<{ path: string; pages: number }>(
    `SELECT pg_relation_filepath($1) AS path, (pg_relation_size($1) / ${BLOCK_SIZE})::int AS pages`,
    [table],
    database,
  );
  const { path: relationPath, pages } = rows[0]!;
  const block = options.block ?? Math.floor(pages / 2);
  if (block < 0 || block >= pages) throw new Error(`block ${block} is outside ${table} (${pages} blocks)`);

  // The shutdown checkpoint writes every page out; after it the file is the only copy.
  await cluster.stop();
  const file = join(cluster.dataDir, relationPath);
  damageBlock(file, block, options.bytes ?? 64);
  await cluster.start();

  return {
    database,
    table,
    block,
    pages,
    relationPath,
    file,
    release: once(async () => {
      await cluster.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
    }),
  };
}
