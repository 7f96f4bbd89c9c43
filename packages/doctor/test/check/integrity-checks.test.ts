import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor, checksumFailures, type ChecksumFailuresFault } from '@mvcc-doctor/lab';
import { check, findingsOf } from './run-check.js';

describe('checksum-failures on PostgreSQL 18 with data checksums', () => {
  let cluster: Cluster;
  let fault: ChecksumFailuresFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ checksums: true, label: 'integrity' });
    await cluster.sql('CREATE DATABASE shop');
    fault = await checksumFailures(cluster, { database: 'shop' });
  });
  afterAll(() => cluster?.destroy());

  it('silent while nobody has read the bad block: the counter only moves on a failed read (and check reads no user data)', async () => {
    const report = await check(cluster);
    expect(findingsOf(report, 'checksum-failures')).toEqual([]);
    expect(report.skipped).toEqual([]);
  });

  it('after a failed read: critical for the database that holds the page, and only for it', async () => {
    await expect(cluster.sql(`SELECT count(*) FROM ${fault.table}`, [], 'shop')).rejects.toMatchObject({ code: 'XX001' });
    const failures = await waitFor(async () => {
      const { rows } = await cluster.sql<{ n: number }>(`SELECT checksum_failures::int AS n FROM pg_stat_database WHERE datname = 'shop'`);
      return rows[0]!.n;
    }, 'pg_stat_database to count the checksum failure');

    const report = await check(cluster);
    expect(report.exit_code).toBe(2);
    const [finding, ...more] = findingsOf(report, 'checksum-failures');
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ severity: 'critical', subject: { database: 'shop' } });
    expect(finding!.evidence[0]).toMatchObject({ database: 'shop', checksum_failures: failures, checksum_last_failure: expect.stringMatching(/^\d{4}-/) });
    expect(finding!.summary).toMatch(/^Database "shop" has had \d+ checksum failure\(s\), the last at \d{4}-.*: some pages are corrupt\.$/);
    expect(finding!.remediation[0]).toBe('pg_amcheck --heapallindexed -d "shop"  -- find the relations and blocks');
  });
});
