import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, listInstallations } from '../../src/index.js';
import { checksumFailures, type ChecksumFailuresFault } from '../../src/scenarios/checksum-failures.js';

const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

async function failureOf(cluster: Cluster, sql: string, database: string): Promise<pg.DatabaseError | undefined> {
  try {
    await cluster.sql(sql, [], database);
    return undefined;
  } catch (error) {
    return error as pg.DatabaseError;
  }
}

/** Rows in one block, read through a TID range scan that touches that block only. */
function blockProbe(table: string, block: number): string {
  return `SELECT count(*)::int AS n FROM ${table} WHERE ctid >= '(${block},0)'::tid AND ctid < '(${block + 1},0)'::tid`;
}

describe.each(majors)('scenario: corrupted heap page on a checksummed cluster (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  let fault: ChecksumFailuresFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, checksums: true, label: `corrupt-${major}` });
    fault = await checksumFailures(cluster);
  });
  afterAll(() => cluster?.destroy());

  const invalidPage = () => new RegExp(`^invalid page in block ${fault.block} of relation "?${fault.relationPath}"?$`);

  it('a full scan fails on the bad block with SQLSTATE XX001', async () => {
    expect(fault.pages).toBeGreaterThan(100);
    expect(fault.relationPath).toMatch(/^base\/\d+\/\d+$/);
    const error = await failureOf(cluster, `SELECT count(*) FROM ${fault.table}`, fault.database);
    expect(error?.code).toBe('XX001');
    expect(error?.message).toMatch(invalidPage());
    // The server log names the checksum mismatch behind it (a WARNING of the backend up to 17; from 18 a
    // LOG line of the I/O worker that read the block).
    await expect.poll(() => cluster.readLog(), { timeout: 5000 }).toMatch(/(WARNING|LOG): {2}page verification failed, calculated checksum \d+ but expected \d+/);
  });

  it('pg_stat_database counts checksum failures, one more for every failed read', async () => {
    const failures = async () =>
      (await cluster.sql<{ n: number }>('SELECT checksum_failures::int AS n FROM pg_stat_database WHERE datname = $1', [fault.database])).rows[0]!.n;
    await expect.poll(failures, { timeout: 5000 }).toBeGreaterThan(0);
    const before = await failures();
    expect((await failureOf(cluster, blockProbe(fault.table, fault.block), fault.database))?.code).toBe('XX001');
    await expect.poll(failures, { timeout: 5000 }).toBeGreaterThan(before);
  });

  it('a TID range probe fails for the bad block only; its neighbours and the ends read fine', async () => {
    const error = await failureOf(cluster, blockProbe(fault.table, fault.block), fault.database);
    expect(error?.code).toBe('XX001');
    expect(error?.message).toMatch(invalidPage());
    for (const block of [0, fault.block - 1, fault.block + 1, fault.pages - 1]) {
      const { rows } = await cluster.sql<{ n: number }>(blockProbe(fault.table, block), [], fault.database);
      expect(rows[0]!.n, `block ${block}`).toBeGreaterThan(0);
    }
  });

  it('release drops the table', async () => {
    await fault.release();
    await fault.release();
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table], fault.database)).rows[0]?.t).toBeNull();
  });
});
