import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, corruptedBlocks, listInstallations, type CorruptedBlocksFault } from '@mvcc-doctor/lab';
import { expectFaultFound, nextXid, quoted, relationOf, scanJson, cli, urlAs } from './helpers.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

/**
 * Issue 12 item 1 on a checksummed cluster with four damaged heap blocks (two adjacent) and a damaged leaf page of
 * the table's primary key, beside a healthy table: the scan finds exactly those blocks and that index page, with
 * the server's error for each and every range that reads between them, as a role with SELECT only and as a
 * superuser with amcheck; and it uses no transaction ID.
 */
describe.each(majors)('corruption scan: damaged heap blocks and index page (PostgreSQL %i, checksums)', (major) => {
  let cluster: Cluster;
  let fault: CorruptedBlocksFault;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, checksums: true, autovacuum: false, label: `corruption-scan-${major}` });
    await cluster.sql('CREATE TABLE public.orders (id int PRIMARY KEY, note text)');
    await cluster.sql("INSERT INTO public.orders SELECT g, 'order ' || g FROM generate_series(1, 5000) g");
    fault = await corruptedBlocks(cluster);
    await cluster.sql('CREATE ROLE reader LOGIN');
    await cluster.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('as a role with SELECT only (no amcheck): exactly the bad blocks, the readable ranges, the damaged index page; exit 2; no XID', async () => {
    const before = await nextXid(cluster);
    const { code, scan } = await scanJson([urlAs(cluster, 'reader')]);
    expect(code).toBe(2);
    expect(scan.exit_code).toBe(2);
    const table = relationOf(scan, quoted(fault.table));
    expectFaultFound(table, fault);
    expect(table.method).toBe('tid-range');
    // O(k log n): about 2k + 1 probes for k bad blocks, because each error names its block.
    expect(table.probes).toBeLessThanOrEqual(2 * fault.blocks.length + 1);
    const index = relationOf(scan, quoted(fault.index));
    expect(index).toMatchObject({ kind: 'index', status: 'corrupt', method: 'index-scan', table: quoted(fault.table), path: fault.indexPath });
    expect(index.blocks).toEqual([{ block: fault.indexBlock, lost: 'page', error: { sqlstate: 'XX001', message: expect.stringMatching(new RegExp(`^invalid page in block ${fault.indexBlock} of relation "?${fault.indexPath}"?$`)) } }]);
    // The healthy table and its index read whole.
    expect(relationOf(scan, '"public"."orders"')).toMatchObject({ status: 'clean', blocks: [], rows_readable: 5000, readable: [{ from: '(0,0)', rows: 5000 }] });
    expect(relationOf(scan, '"public"."orders_pkey"')).toMatchObject({ status: 'clean', method: 'index-scan' });
    expect(scan.summary).toMatchObject({ corrupt_relations: 2, bad_blocks: fault.blocks.length + 1, rows_readable: 5000 + fault.rows - fault.rowsLost });
    expect(scan.databases.find((d) => d.database === 'postgres')?.amcheck).toMatchObject({ installed: false, heap: false, btree: false });
    expect(scan.skipped).toEqual([]);
    expect(await nextXid(cluster)).toBe(before);
  });

  it('counts the failed reads in pg_stat_database, and scans the databases with checksum failures first', async () => {
    await cluster.sql('CREATE DATABASE later');
    const { scan } = await scanJson([cluster.connectionString()]);
    expect(scan.databases.map((d) => d.database)[0]).toBe('postgres');
    expect(scan.databases[0]!.checksum_failures).toBeGreaterThan(0);
    expect(scan.databases.map((d) => d.database)).toContain('later');
    expect(scan.databases.find((d) => d.database === 'later')).toMatchObject({ checksum_failures: 0, relations_scanned: 0 });
  });

  it('with amcheck installed, as a superuser: bt_index_check finds the index page, verify_heapam has nothing to add on the blocks that read', async () => {
    await cluster.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
    const before = await nextXid(cluster);
    const { code, scan } = await scanJson([cluster.connectionString(), '--table', fault.table]);
    expect(code).toBe(2);
    expect(scan.relations.map((r) => r.relation)).toEqual([quoted(fault.table), quoted(fault.index)]);
    const table = relationOf(scan, quoted(fault.table));
    expectFaultFound(table, fault);
    expect(table.amcheck).toEqual([]);
    expect(relationOf(scan, quoted(fault.index))).toMatchObject({ status: 'corrupt', method: 'amcheck', blocks: [{ block: fault.indexBlock, error: { sqlstate: 'XX001' } }] });
    expect(scan.databases[0]!.amcheck).toEqual({ installed: true, heap: true, btree: true });
    expect(await nextXid(cluster)).toBe(before);
  });

  it('the SELECT-only role is told why amcheck is not used, and still finds everything', async () => {
    const { scan } = await scanJson([urlAs(cluster, 'reader'), '--table', fault.table]);
    expect(scan.databases[0]!.amcheck).toMatchObject({ installed: true, heap: false, btree: false, reason: expect.stringMatching(/may not run bt_index_check or verify_heapam/) });
    expectFaultFound(relationOf(scan, quoted(fault.table)), fault);
    expect(relationOf(scan, quoted(fault.index)).method).toBe('index-scan');
  });

  it('TID lists (the PostgreSQL 12 and 13 method) find the same blocks and ranges', async () => {
    const { scan } = await scanJson([urlAs(cluster, 'reader'), '--table', fault.table, '--method', 'tid-list']);
    const table = relationOf(scan, quoted(fault.table));
    expect(table.method).toBe('tid-list');
    expectFaultFound(table, fault);
  });

  it('--pages-only (count the rows, decode nothing) finds the same blocks and ranges', async () => {
    const { code, scan } = await scanJson([urlAs(cluster, 'reader'), '--table', fault.table, '--pages-only']);
    expect(code).toBe(2);
    expectFaultFound(relationOf(scan, quoted(fault.table)), fault);
  });

  it('the text report names each bad block, what reads around it, and the salvage command', async () => {
    const { code, out } = await cli(['corruption', 'scan', cluster.connectionString(), '--table', fault.table]);
    expect(code).toBe(2);
    const [first, second] = fault.blocks;
    expect(out).toContain(`CORRUPT ${quoted(fault.table)} in "postgres" (${fault.pages} blocks, TID range probes,`);
    expect(out).toMatch(new RegExp(`\n  block ${first}: invalid page in block ${first} of relation "?base/\\d+/\\d+"? \\(SQLSTATE XX001\\)\n    readable around it: before \\(0,0\\)\\.\\.\\(${first},0\\) [\\d,]+ rows; after \\(${first! + 1},0\\)\\.\\.\\(${second},0\\) [\\d,]+ rows\n`));
    expect(out).toContain(`  next: mvcc-doctor corruption salvage plan -d postgres --table '${quoted(fault.table)}' --into '${quoted(`${fault.table}_salvaged`)}'`);
    expect(out).toContain(`CORRUPT index ${quoted(fault.index)} of ${quoted(fault.table)}`);
    expect(out).toMatch(/Read 2 relation\(s\): 2 corrupt \(5 bad block\(s\), 0 bad tuple\(s\)\), 0 not verified\. [\d,]+ rows readable; \d+ probes in [\d.]+s\./);
  });
});
