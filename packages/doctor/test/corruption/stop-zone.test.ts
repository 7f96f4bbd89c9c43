import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, corruptedBlocks, wraparoundTemplate, xidWraparound, type CorruptedBlocksFault } from '@mvcc-doctor/lab';
import { cli, nextXid, quoted, relationOf, scanJson } from './helpers.js';

const ready = existsSync('/usr/lib/postgresql/15/bin/pg_resetwal');

/**
 * The incident's state: the cluster refuses new transaction IDs (the stop zone) and a table has rows that cannot be
 * read. The scan and a salvage to a COPY file need no transaction ID, so they work; a salvage into a new table
 * needs one, and says so in one line. The XID counter does not move.
 */
describe.skipIf(!ready)('corruption in the XID stop zone (PostgreSQL 15)', () => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;
  let dir: string;
  const TUPLES = [
    { block: 10, offset: 3 },
    { block: 250, offset: 40 },
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-stop-salvage-'));
    const template = await wraparoundTemplate({ kind: 'xid' });
    cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: 'corruption-stop' });
    // The template has no data checksums: broken tuples in pages that read stand for the bad data.
    fault = await corruptedBlocks(cluster, { blocks: [], index: false, tuples: TUPLES });
    await xidWraparound(cluster, { zone: 'stop' });
  });
  afterAll(async () => {
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the cluster refuses writes', async () => {
    await expect(cluster.sql('CREATE TABLE public.probe_write (x int)')).rejects.toMatchObject({ code: '54000' });
  });

  it('scan finds the broken tuples without a transaction ID', async () => {
    const before = await nextXid(cluster);
    const { code, scan } = await scanJson([cluster.connectionString(), '--table', fault.table]);
    expect(code).toBe(2);
    const table = relationOf(scan, quoted(fault.table));
    expect(table.blocks.map((b) => [b.block, b.tuples?.map((t) => t.offset)])).toEqual(TUPLES.map((t) => [t.block, [t.offset]]));
    expect(table.rows_readable).toBe(fault.rows - TUPLES.length);
    expect(await nextXid(cluster)).toBe(before);
  });

  it('salvage --to FILE writes every readable row; --into needs a transaction ID and says so in one line', async () => {
    const before = await nextXid(cluster);
    const file = join(dir, 'stop.copy');
    const { code } = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--to', file, '--yes']);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(fault.rows - TUPLES.length);
    expect(await nextXid(cluster)).toBe(before);

    const into = await cli(['corruption', 'salvage', 'run', cluster.connectionString(), '--table', fault.table, '--into', 'saved', '--yes']);
    expect(into.code).toBe(3);
    expect(into.err).toMatch(/^mvcc-doctor: server error: database is not accepting commands (that assign new transaction IDs )?to avoid wraparound data loss in database "\w+" \(in database "postgres"\): in the stop zone, salvage with --to FILE \(COPY needs no transaction ID\)\n$/);
    expect(await nextXid(cluster)).toBe(before);
  });
});
