import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, listInstallations } from '../../src/index.js';
import { corruptedBlocks, type CorruptedBlocksFault } from '../../src/scenarios/corrupted-blocks.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

async function failureOf(cluster: Cluster, sql: string, database = 'postgres'): Promise<pg.DatabaseError | undefined> {
  try {
    await cluster.sql(sql, [], database);
    return undefined;
  } catch (error) {
    return error as pg.DatabaseError;
  }
}

const blockProbe = (table: string, block: number) => `SELECT count(*)::int AS n FROM ${table} WHERE ctid >= '(${block},0)'::tid AND ctid < '(${block + 1},0)'::tid`;

/** The fault proven from the server's own evidence: its errors, its log, amcheck, and what still reads. */
describe.each(majors)('scenario: several corrupted heap blocks and an index page (PostgreSQL %i, checksums)', (major) => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, checksums: true, autovacuum: false, label: `blocks-${major}` });
    fault = await corruptedBlocks(cluster);
  });
  afterAll(() => cluster?.destroy());

  it('four heap blocks, two adjacent, each failing alone with "invalid page in block N" (XX001); the blocks around them read', async () => {
    expect(fault.blocks).toHaveLength(4);
    expect(fault.blocks[2]! - fault.blocks[1]!).toBe(1);
    expect(fault.rowsLost).toBe(fault.blocks.reduce((n, b) => n + fault.rowsInBlock.get(b)!, 0));
    for (const block of fault.blocks) {
      const error = await failureOf(cluster, blockProbe(fault.table, block));
      expect(error?.code, `block ${block}`).toBe('XX001');
      expect(error?.message).toMatch(new RegExp(`^invalid page in block ${block} of relation "?${fault.relationPath}"?$`));
    }
    for (const block of [0, fault.blocks[0]! - 1, fault.blocks[0]! + 1, fault.blocks[2]! + 1]) {
      const { rows } = await cluster.sql<{ n: number }>(blockProbe(fault.table, block));
      expect(rows[0]!.n, `block ${block}`).toBe(fault.rowsInBlock.get(block));
    }
    await expect.poll(() => cluster.readLog(), { timeout: 5000 }).toMatch(/(WARNING|LOG): {2}page verification failed, calculated checksum \d+ but expected \d+/);
  });

  it('the index page: an index-only scan (no heap fetch: the visibility map is set) and bt_index_check both fail on it', async () => {
    expect(fault.indexBlock).toBeGreaterThan(0);
    const client = await cluster.connect();
    try {
      await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
      const error = await client.query(`SELECT count(*) FROM (SELECT id FROM ${fault.table} ORDER BY id OFFSET 0) s`).then(
        () => undefined,
        (e: pg.DatabaseError) => e,
      );
      expect(error?.code).toBe('XX001');
      expect(error?.message).toMatch(new RegExp(`^invalid page in block ${fault.indexBlock} of relation "?${fault.indexPath}"?$`));
    } finally {
      await client.end();
    }
    await cluster.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
    const error = await failureOf(cluster, `SELECT bt_index_check('${fault.index}')`);
    expect(error?.message).toMatch(new RegExp(`^invalid page in block ${fault.indexBlock} of relation "?${fault.indexPath}"?$`));
  });

  it('release drops the table', async () => {
    await fault.release();
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
  });
});

describe('scenario: unreadable tuples in pages that read (PostgreSQL 18, no checksums)', () => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ autovacuum: false, label: 'blocks-tuples' });
    fault = await corruptedBlocks(cluster, { blocks: [], index: false, tuples: [{ block: 7, offset: 3 }] });
  });
  afterAll(() => cluster?.destroy());

  it('reading the tuple fails with "compressed pglz data is corrupt"; the rest of its page reads', async () => {
    const error = await failureOf(cluster, `SELECT payload FROM ${fault.table} WHERE ctid = '(7,3)'`);
    expect(error).toMatchObject({ code: 'XX001', message: 'compressed pglz data is corrupt' });
    const { rows } = await cluster.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${fault.table} WHERE ctid >= '(7,0)' AND ctid < '(8,0)' AND ctid <> '(7,3)' AND length(payload) = 128`);
    expect(rows[0]!.n).toBe(fault.rowsInBlock.get(7)! - 1);
    expect(fault.rowsLost).toBe(1);
  });

  it('refuses what would go unnoticed: whole pages without checksums, tuples with them', async () => {
    await expect(corruptedBlocks(cluster)).rejects.toThrow(/only on a cluster made with checksums: true/);
  });
});
