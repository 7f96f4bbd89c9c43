import { Cluster, clogMissing as clogMissingScenario, findInstallation } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import clogMissing from '../../src/checks/clog-missing.js';
import type { SegmentsRow } from '../../src/clog/segments-sql.js';
import { suite, testCheck } from './check-tester.js';
import { check, cli, findingsOf, realSkips } from './run-check.js';
import { snapshot } from './row-fixtures.js';

const noResetWal = (() => {
  try {
    findInstallation({ major: 15, needs: ['pg_resetwal'] });
    return false;
  } catch (error) {
    return (error as Error).message;
  }
})();

const FULL = 262_144;

/** The dataset's row: a fresh cluster's counters and files unless given. */
function segments(fields: Partial<SegmentsRow> = {}): SegmentsRow {
  const file = (dir: SegmentsRow['files'][number]['dir'], name: string, size: number, used = false) => ({ dir, name, size, tail: (used ? '55' : '00').repeat(Math.min(size, 256)) });
  return {
    block_size: 8192,
    in_recovery: false,
    data_directory: '/var/lib/postgresql/15/main',
    ckpt_next_xid: '0:750',
    ckpt_oldest_xid: 716,
    ckpt_next_multi: 1,
    ckpt_next_offset: 0,
    ckpt_oldest_multi: 1,
    checkpoint_time: null,
    oldest_xid: 716,
    oldest_multi: 1,
    oldest_multi_offset: null,
    files: [file('pg_xact', '0000', 8192), file('pg_multixact/offsets', '0000', 8192), file('pg_multixact/members', '0000', 8192)],
    ...fields,
  };
}

const multixactFiles = segments().files.filter((f) => f.dir !== 'pg_xact');

testCheck(clogMissing, {
  evaluate: {
    faulty: [
      {
        name: 'the oldest XID\'s segment is gone (the lab\'s fault): critical, with the exact clog check and plan commands',
        snapshot: snapshot({ clogSegments: [segments({ ckpt_next_xid: '0:1048576', files: multixactFiles })] }),
        findings: [
          {
            severity: 'critical',
            subject: {},
            summary: '1 commit log segment(s) the IDs in use need is missing or short: pg_xact/0000 (missing); rows written by those transactions cannot be read.',
            evidence: [{ file: 'pg_xact/0000', kind: 'missing', size: 0, needed_bytes: 8192, first_id: 716, last_id: 1_048_575, why: 'it holds the oldest transaction in use (716)' }],
            remediation: [
              "mvcc-doctor clog check --pgdata /var/lib/postgresql/15/main  -- on the database host (or with this check's connection instead of --pgdata): the failing XIDs mapped to file, byte and bits",
              'mvcc-doctor clog plan --pgdata /var/lib/postgresql/15/main  -- the recovery, safest first: copy pg_xact/0000 from the primary, a standby or a backup',
              '-- 1 file(s); until then every statement that meets one of those rows fails, and VACUUM cannot freeze their tables',
            ],
          },
        ],
      },
      {
        name: 'a standby without the newest segment, and a MultiXact offsets segment cut short: one finding, both files',
        snapshot: snapshot({
          clogSegments: [
            segments({
              in_recovery: true,
              ckpt_next_xid: '1:2097252', // epoch 1: the files depend on the low 32 bits only
              ckpt_next_multi: 70_000,
              oldest_multi: 60_000,
              oldest_multi_offset: 120_000,
              ckpt_next_offset: 140_000,
              files: [
                { dir: 'pg_xact', name: '0000', size: FULL, tail: '55'.repeat(256) },
                { dir: 'pg_xact', name: '0001', size: FULL, tail: '55'.repeat(256) },
                { dir: 'pg_multixact/offsets', name: '0000', size: 8192, tail: '01'.repeat(256) },
                { dir: 'pg_multixact/offsets', name: '0001', size: 8192, tail: '00'.repeat(256) },
                { dir: 'pg_multixact/members', name: '0002', size: FULL, tail: '00'.repeat(256) },
              ],
            }),
          ],
        }),
        verify: (findings) => {
          expect(findings[0]!.evidence.map((e) => [e.file, e.kind])).toEqual([
            ['pg_xact/0002', 'missing'],
            ['pg_multixact/offsets/0000', 'short'],
            ['pg_multixact/offsets/0001', 'short'],
          ]);
        },
      },
    ],
    healthy: [
      { name: 'a fresh cluster: one short segment each, holding everything in use', snapshot: snapshot({ clogSegments: [segments()] }) },
      {
        name: 'pg_resetwal jumps: thousands of absent segments after unused ends are gaps, not findings',
        snapshot: snapshot({
          clogSegments: [
            segments({
              ckpt_next_xid: '0:2000000012',
              files: [
                { dir: 'pg_xact', name: '0000', size: 8192, tail: '00'.repeat(256) },
                { dir: 'pg_xact', name: '0773', size: FULL, tail: '00'.repeat(256) },
                ...multixactFiles,
              ],
            }),
          ],
        }),
      },
    ],
  },
  cluster: [
    suite({
      name: 'PostgreSQL 15 whose pg_xact/0000 is removed (pg_resetwal -x, unhinted rows)',
      skip: noResetWal,
      start: async () => {
        const cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'clog-missing' });
        return { cluster, destroy: () => cluster.destroy() };
      },
      healthy: {
        'silent before the fault, with the segment files read (nothing skipped)': async ({ cluster }) => {
          const report = await check(cluster);
          expect(realSkips(report.skipped)).toEqual([]);
          return report;
        },
        'skipped, naming superuser, for a role without it': async ({ cluster }) => {
          await cluster.sql('CREATE ROLE clog_monitor LOGIN IN ROLE pg_monitor');
          const report = await check(cluster, { user: 'clog_monitor' });
          expect(report.skipped).toContainEqual({ what: 'clog-missing', reason: 'needs superuser' });
          return report;
        },
      },
      faulty: {
        'critical once the segment is gone; the command it names runs and finds it (exit 2)': async ({ cluster }) => {
          await clogMissingScenario(cluster, { firstXid: 1_000_000 });
          const report = await check(cluster);
          expect(report.exit_code).toBe(2);
          const [finding, ...more] = findingsOf(report, 'clog-missing');
          expect(more).toEqual([]);
          expect(finding!.evidence).toEqual([expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', first_id: 716, last_id: 1_048_575 })]);
          const command = finding!.remediation[0]!.split('  -- ')[0]!;
          expect(command).toBe(`mvcc-doctor clog check --pgdata ${cluster.dataDir}`);
          const run = await cli(command.split(' ').slice(1));
          expect(run.code).toBe(2);
          expect(run.stdout).toContain('MISSING pg_xact/0000');
          return report;
        },
      },
    }),
  ],
});
