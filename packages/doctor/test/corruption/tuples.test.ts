import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, corruptedBlocks, type CorruptedBlocksFault } from '@mvcc-doctor/lab';
import type { SalvageResult } from '../../src/corruption/salvage-run.js';
import { cli, quoted, relationOf, scanJson } from './helpers.js';

/**
 * Tuples that cannot be decoded in pages that read (a text value marked compressed that is not pglz data, on a
 * cluster without checksums): the scan goes down to the tuples of such a block, reports each with its error, and
 * the readable ranges step around exactly those tuples; salvage then loses only them.
 */
describe('corruption scan: unreadable tuples in pages that read (PostgreSQL 18, no checksums)', () => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;
  const TUPLES = [
    { block: 3, offset: 5 },
    { block: 3, offset: 6 },
    { block: 100, offset: 1 },
    { block: 200, offset: 49 },
  ];

  beforeAll(async () => {
    cluster = await Cluster.create({ autovacuum: false, label: 'corruption-tuples' });
    fault = await corruptedBlocks(cluster, { blocks: [], index: false, tuples: TUPLES });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it.each(['tid-range', 'tid-list'])('finds exactly the broken tuples with their error, and the ranges around them (%s)', async (method) => {
    const { code, scan } = await scanJson([cluster.connectionString(), '--table', fault.table, '--method', method]);
    expect(code).toBe(2);
    const table = relationOf(scan, quoted(fault.table));
    const error = { sqlstate: 'XX001', message: 'compressed pglz data is corrupt' };
    expect(table.blocks).toEqual([
      { block: 3, lost: 'tuples', error, tuples: [{ offset: 5, error }, { offset: 6, error }] },
      { block: 100, lost: 'tuples', error, tuples: [{ offset: 1, error }] },
      { block: 200, lost: 'tuples', error, tuples: [{ offset: 49, error }] },
    ]);
    const perBlock = fault.rowsInBlock.get(0)!;
    expect(table.readable).toEqual([
      { from: '(0,0)', to: '(3,5)', rows: 3 * perBlock + 4 },
      // Offset 1 is the first tuple: up to (100,0) and up to (100,1) select the same rows.
      { from: '(3,7)', to: '(100,0)', rows: perBlock - 6 + 96 * perBlock },
      { from: '(100,2)', to: '(200,49)', rows: perBlock - 1 + 99 * perBlock + 48 },
      // Block 200 holds 49 tuples: from its offset 50 on, the range starts in fact at block 201.
      { from: '(200,50)', to: `(${fault.pages},0)`, rows: fault.rows - 201 * perBlock },
    ]);
    expect(table.rows_readable).toBe(fault.rows - TUPLES.length);
    expect(scan.summary).toMatchObject({ bad_blocks: 3, bad_tuples: 4 });
  });

  it('--pages-only is blind to them, as documented: the pages read, nothing is decoded', async () => {
    const { code, scan } = await scanJson([cluster.connectionString(), '--table', fault.table, '--pages-only']);
    expect(relationOf(scan, quoted(fault.table))).toMatchObject({ status: 'clean', blocks: [], rows_readable: fault.rows });
    expect(code).toBe(0);
  });

  it('salvage loses the broken tuples only', async () => {
    const { code, out } = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--into', 'saved', '--yes', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(out) as { result: SalvageResult }).result).toMatchObject({ rows_saved: fault.rows - TUPLES.length, blocks_lost: 0, tuples_lost: TUPLES.length });
    const perBlock = fault.rowsInBlock.get(0)!;
    const lost = TUPLES.map((t) => t.block * perBlock + t.offset);
    const { rows } = await cluster.sql<{ n: number }>('SELECT count(*)::int AS n FROM public.saved WHERE id = ANY($1::int[])', [lost]);
    expect(rows[0]!.n).toBe(0);
  });
});
