import { checksumFailures, Cluster, inconsistentShop, listInstallations, SHOP_NAMES as N, type ChecksumFailuresFault } from '@mvcc-doctor/lab';
import { closeSync, openSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../check/run-check.js';
import { findingsOf, urlOf, verifyDb } from './run-verify.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

/** Overwrite the middle of one more block of the scenario's relation file, with the cluster stopped (as the scenario does). */
async function damageBlock(cluster: Cluster, file: string, block: number): Promise<void> {
  await cluster.stop();
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, block * 8192 + 4096 - 32);
  } finally {
    closeSync(fd);
  }
  await cluster.start();
}

describe.each(majors)('verify with amcheck installed, on a checksummed cluster (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  let disk: ChecksumFailuresFault;
  /** The two damaged blocks of disk's table: the scenario's, and one near the end, so reading past the first shows. */
  let bad: [number, number];

  beforeAll(async () => {
    cluster = await Cluster.create({ major, checksums: true, label: `verify-amcheck${major}` });
    for (const db of ['shop', 'whole', 'disk']) await cluster.sql(`CREATE DATABASE ${db}`);
    await inconsistentShop(cluster, { database: 'shop' });
    await inconsistentShop(cluster, { database: 'whole', damage: [] });
    // The test's setup installs amcheck; verify itself never does.
    for (const db of ['shop', 'whole', 'disk']) await cluster.sql('CREATE EXTENSION amcheck', [], db);
    await cluster.sql('CREATE ROLE auditor LOGIN; GRANT pg_read_all_data TO auditor');
    // Last: it restarts the cluster to damage a page behind the server's back.
    disk = await checksumFailures(cluster, { database: 'disk', rows: 4000 });
    bad = [disk.block, disk.pages - 2];
    await damageBlock(cluster, disk.file, bad[1]);
  });
  afterAll(() => cluster?.destroy());

  it('healthy: every B-tree index and every table checked, with heapallindexed, nothing found, nothing skipped', async () => {
    const report = await verifyDb(cluster, 'whole', { heapallindexed: true });
    expect(report.exit_code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.unfinished).toEqual([]);
    const checked = Object.fromEntries(report.verifications.map((v) => [v.id, v.checked]));
    // The system catalogs' indexes and tables are checked too (over a hundred of each kind).
    expect(checked['index-corruption']).toBeGreaterThan(100);
    expect(checked['heap-corruption']).toBeGreaterThan(50);
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'whole')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Nothing is wrong: .*, and amcheck found no corruption\.$/m);
    expect(stdout).not.toMatch(/^skipped /m);
  });

  it('a role without EXECUTE on amcheck: skipped, naming the GRANT; the rest of verify runs', async () => {
    const report = await verifyDb(cluster, 'whole', { user: 'auditor' });
    expect(report.server).toMatchObject({ role: 'auditor', superuser: false });
    expect(report.exit_code).toBe(0);
    expect(report.skipped).toEqual([
      { verification: 'index-corruption', subject: { database: 'whole' }, reason: 'needs EXECUTE on "public".bt_index_check(regclass, boolean) (GRANT EXECUTE ON FUNCTION "public".bt_index_check(regclass, boolean) TO "auditor"), or a superuser' },
      { verification: 'heap-corruption', subject: { database: 'whole' }, reason: expect.stringMatching(/^needs EXECUTE on "public"\.verify_heapam\(regclass, boolean, boolean, text, bigint, bigint\) \(GRANT EXECUTE ON FUNCTION .* TO "auditor"\), or a superuser$/) },
    ]);
    expect(report.verifications.find((v) => v.id === 'orphan-rows')!.checked).toBe(3);

    await cluster.sql('GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean), verify_heapam(regclass, boolean, boolean, text, bigint, bigint) TO auditor', [], 'whole');
    const granted = await verifyDb(cluster, 'whole', { user: 'auditor', schema: 'public' });
    expect(granted.skipped).toEqual([]);
    expect(granted.exit_code).toBe(0);
  });

  it('the duplicate\'s index lacks the row: heapallindexed calls the index corrupt; the structural check alone cannot see it', async () => {
    const structural = await verifyDb(cluster, 'shop', { only: ['index-corruption', 'unique-duplicates'] });
    expect(findingsOf(structural, 'index-corruption')).toEqual([]);
    expect(findingsOf(structural, 'unique-duplicates')).toHaveLength(1);

    const full = await verifyDb(cluster, 'shop', { heapallindexed: true, only: ['index-corruption'] });
    const [f, ...more] = findingsOf(full, 'index-corruption');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'critical', subject: { database: 'shop', table: N.customers, index: N.emailKey } });
    expect(f!.evidence[0]!.error).toMatch(/^XX001 heap tuple \(\d+,\d+\) from table "customers" lacks matching index tuple within index "customers_email_key"$/);
    expect(f!.remediation[0]).toMatch(/REINDEX INDEX CONCURRENTLY "Lab Shop s_\w+"\."customers_email_key";$/);
    expect(full.exit_code).toBe(2);
  });

  it('unreadable heap pages: verify_heapam in chunks names each block, reads on past it, and the rest of verify is not stopped', async () => {
    const { code, stdout } = await cli(['verify', urlOf(cluster, 'disk'), '--schema', 'public', '--json']);
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as Awaited<ReturnType<typeof verifyDb>>;
    const [f, ...more] = findingsOf(report, 'heap-corruption');
    expect(more).toEqual([]);
    expect(f!.subject).toEqual({ database: 'disk', schema: 'public', table: disk.table.replace(/^public\./, '') });
    expect(f!.evidence).toEqual(bad.map((block) => ({ blocks: String(block), error: expect.stringMatching(new RegExp(`^XX001 invalid page in block ${block} of relation "?${disk.relationPath}"?$`)) })));
    expect(f!.summary).toMatch(/has 2 unreadable block\(s\)/);
    expect(f!.remediation[0]).toMatch(/^mvcc-doctor corruption scan --table '"public"\."lab_corrupt_\w+"'/);
    expect(report.unfinished.filter((g) => g.verification === 'heap-corruption')).toEqual([]);
    // The GROUP BY over the heap trips over the same page: not finished, with the server's reason, not a crash.
    expect(report.unfinished).toEqual([
      { verification: 'unique-duplicates', subject: expect.objectContaining({ table: disk.table.replace(/^public\./, '') }), reason: expect.stringMatching(/^XX001 invalid page in block/) },
    ]);
  });

  it('small chunks: the same two blocks, each found in its own chunk among many', async () => {
    expect(disk.pages / 8).toBeGreaterThan(4);
    const report = await verifyDb(cluster, 'disk', { schema: 'public', heapChunkBlocks: 8, only: ['heap-corruption'] });
    expect(findingsOf(report, 'heap-corruption').flatMap((f) => f.evidence)).toEqual(bad.map((block) => expect.objectContaining({ blocks: String(block) })));
    expect(report.unfinished).toEqual([]);
  });
});
