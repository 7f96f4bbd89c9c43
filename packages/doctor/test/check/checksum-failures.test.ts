import { Cluster, waitFor, checksumFailures as checksumFailuresScenario, type ChecksumFailuresFault } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import checksumFailures from '../../src/checks/checksum-failures.js';
import { suite, testCheck } from './check-tester.js';
import { check, findingsOf, realSkips } from './run-check.js';
import { database, snapshot } from './row-fixtures.js';

// The scenario is corruptedPage (to be renamed checksumFailures on the pack branch).
testCheck(checksumFailures, {
  evaluate: {
    faulty: [
      {
        name: 'a database with failed checksum reads: critical, for that database only',
        snapshot: snapshot({ databases: [database('app'), database('shop', { checksum_failures: 3, checksum_last_failure: new Date('2026-01-02T03:04:05Z') })] }),
        findings: [{ severity: 'critical', subject: { database: 'shop' }, summary: 'Database "shop" has had 3 checksum failure(s), the last at 2026-01-02T03:04:05.000Z: some pages are corrupt.' }],
      },
    ],
    healthy: [
      { name: 'no failures counted', snapshot: snapshot({ databases: [database('app', { checksum_failures: 0 })] }) },
      { name: 'checksums off (the counter is null)', snapshot: snapshot({ databases: [database('app', { checksum_failures: null })] }) },
    ],
  },
  cluster: [
    suite({
      name: 'PostgreSQL 18 with data checksums and a corrupted page in "shop"',
      start: async () => {
        const cluster = await Cluster.create({ checksums: true, label: 'integrity' });
        await cluster.sql('CREATE DATABASE shop');
        const fault: ChecksumFailuresFault = await checksumFailuresScenario(cluster, { database: 'shop' });
        return { cluster, fault, destroy: () => cluster.destroy() };
      },
      healthy: {
        'silent while nobody has read the bad block: the counter only moves on a failed read (and check reads no user data)': async ({ cluster }) => {
      const report = await check(cluster);
      expect(findingsOf(report, 'checksum-failures')).toEqual([]);
      expect(realSkips(report.skipped)).toEqual([]);
          return report;
        },
      },
      faulty: {
        'after a failed read: critical for the database that holds the page, and only for it': async ({ cluster, fault }) => {
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
      // Issue 12 item 6: the exact command that locates the bad blocks in that database.
      expect(finding!.remediation[0]).toBe('mvcc-doctor corruption scan -d shop  -- find every unreadable block and tuple, table by table (with only SELECT; no XID)');
          return report;
        },
      },
    }),
  ],
});
