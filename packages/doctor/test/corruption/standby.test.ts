import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, corruptedBlocks, startStandby, type CorruptedBlocksFault, type Standby } from '@mvcc-doctor/lab';
import { cli, expectFaultFound, quoted, relationOf, scanJson } from './helpers.js';

const ready = existsSync('/usr/lib/postgresql/15/bin/pg_basebackup');

/**
 * A hot standby whose own copy of a table has bad blocks (the primary's is whole, as when a replica's disk fails):
 * the scan runs there, read-only, and finds them; salvage to a COPY file works there too, while a new table
 * cannot be made on a standby (one line, exit 3).
 */
describe.skipIf(!ready)('corruption on a hot standby (PostgreSQL 15, checksums)', () => {
  let primary: Cluster;
  let standby: Standby;
  let fault: CorruptedBlocksFault;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-standby-salvage-'));
    primary = await Cluster.create({ major: 15, checksums: true, autovacuum: false, walLevel: 'replica', label: 'corruption-primary' });
    standby = await startStandby(primary, { hotStandbyFeedback: false });
    fault = await corruptedBlocks(primary, { standby });
  });
  afterAll(async () => {
    await standby?.cluster.destroy();
    await primary?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scan on the standby finds the bad blocks and the index page; the primary reads whole', async () => {
    const { code, scan } = await scanJson([standby.cluster.connectionString(), '--table', fault.table]);
    expect(code).toBe(2);
    expect(scan.server.in_recovery).toBe(true);
    expectFaultFound(relationOf(scan, quoted(fault.table)), fault);
    expect(relationOf(scan, quoted(fault.index))).toMatchObject({ status: 'corrupt', blocks: [{ block: fault.indexBlock }] });

    const onPrimary = await scanJson([primary.connectionString(), '--table', fault.table]);
    expect(onPrimary.code).toBe(0);
    expect(relationOf(onPrimary.scan, quoted(fault.table))).toMatchObject({ status: 'clean', rows_readable: fault.rows });
  });

  it('salvage --to FILE on the standby writes every readable row; --into cannot create a table there', async () => {
    const file = join(dir, 'standby.copy');
    const { code } = await cli(['corruption', 'salvage', 'run', standby.cluster.connectionString(), '--table', fault.table, '--to', file, '--yes']);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(fault.rows - fault.rowsLost);

    const into = await cli(['corruption', 'salvage', 'run', standby.cluster.connectionString(), '--table', fault.table, '--into', 'saved', '--yes']);
    expect(into).toEqual({
      code: 3,
      out: '',
      err: 'mvcc-doctor: usage error: "postgres" is on a standby (read-only): --into cannot create a table here; use --to FILE, or run the salvage on the primary\n',
    });
  });
});
