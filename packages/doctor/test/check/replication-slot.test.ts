import { replicationSlot as replicationSlotScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import replicationSlot from '../../src/checks/replication-slot.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf } from './run-check.js';
import { slot, snapshot } from './row-fixtures.js';

/** An abandoned physical slot: nobody connected, its xmin holding the horizon. */
const inactive = (name: string, fields = {}) => slot(name, { active: false, active_pid: null, xmin: '900', xmin_age: 100, inactive_seconds: 3600, ...fields });

testCheck(replicationSlot, {
  evaluate: {
    faulty: [
      {
        name: 'an inactive physical slot holding xmin: a warning; drop it once nothing will consume it',
        snapshot: snapshot({ slots: [inactive('old_replica')] }),
        findings: [
          {
            severity: 'warning',
            subject: { slot: 'old_replica' },
            summary: 'Inactive physical slot "old_replica" (unused for 1h) retains 16 MB of WAL and holds xmin 900 (100 XIDs back).',
            remediation: [expect.stringContaining('confirm nothing will consume "old_replica" again'), `SELECT pg_drop_replication_slot('old_replica');`],
          },
        ],
      },
      { name: 'an invalidated slot: critical', snapshot: snapshot({ slots: [inactive('lost_replica', { wal_status: 'lost', invalidation_reason: 'wal_removed' })] }), findings: [{ severity: 'critical', summary: expect.stringContaining('was invalidated (wal_removed)') }] },
      { name: 'an active slot past the XID threshold: a warning about its lagging consumer', snapshot: snapshot({ slots: [slot('cdc', { xmin: '900', xmin_age: 2_000_000 })] }), findings: [{ severity: 'warning', remediation: [expect.stringContaining('pid 4242')] }] },
    ],
    healthy: [
      { name: 'an active slot below the thresholds', snapshot: snapshot({ slots: [slot('replica', { xmin: '900', xmin_age: 100 })] }) },
      { name: 'no slots', snapshot: snapshot() },
    ],
  },
  cluster: eachMajor([18, 14], 'slots').map((s) =>
    suite({
      ...s,
      healthy: { 'a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        'an inactive logical slot (catalog_xmin) and an inactive physical slot (xmin), at default thresholds': async (cluster) => {
          const fault = await replicationSlotScenario(cluster, { deadRows: 100 });
          let proof: Report;
          try {
            proof = await check(cluster);
            const findings = findingsOf(proof, 'replication-slot');
            expect(findings).toHaveLength(2);
            const logical = findings.find((f) => f.subject.slot === fault.logical!.name);
            const physical = findings.find((f) => f.subject.slot === fault.physical!.name);
            expect(logical).toMatchObject({ severity: 'warning', subject: { slot: fault.logical!.name, database: 'postgres' } });
            expect(logical!.summary).toMatch(/^Inactive logical slot/);
            expect(logical!.evidence[0]).toMatchObject({ slot_type: 'logical', active: false, catalog_xmin: fault.logical!.catalogXmin, xmin: null, restart_lsn: fault.logical!.restartLsn });
            expect(physical).toMatchObject({ severity: 'warning', subject: { slot: fault.physical!.name } });
            expect(physical!.evidence[0]).toMatchObject({ slot_type: 'physical', active: false, xmin: fault.physical!.xmin });
            expect(physical!.summary).toContain(`holds xmin ${fault.physical!.xmin}`);
            expect(physical!.remediation).toContain(`SELECT pg_drop_replication_slot('${fault.physical!.name}');`);
          } finally {
            await fault.release();
          }
          expect(findingsOf(await check(cluster), 'replication-slot')).toEqual([]);
          return proof;
        },
      },
    }),
  ),
});
