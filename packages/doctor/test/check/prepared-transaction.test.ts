import { preparedTransaction as preparedTransactionScenario } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import preparedTransaction from '../../src/checks/prepared-transaction.js';
import type { Report } from '../../src/report/report.js';
import { suite, testCheck } from './check-tester.js';
import { check, checkAtZero, eachMajor, findingsOf } from './run-check.js';
import { prepared, snapshot } from './row-fixtures.js';

testCheck(preparedTransaction, {
  evaluate: {
    faulty: [
      {
        name: 'waiting past the threshold: a warning for its database and gid; ROLLBACK PREPARED there',
        snapshot: snapshot({ prepared: [prepared('pay-42', { database: 'shop', seconds: 120, locks: [{ mode: 'RowExclusiveLock', locktype: 'relation', relation: 'public.orders', same_database: true }] })] }),
        findings: [
          {
            severity: 'warning',
            subject: { database: 'shop', gid: 'pay-42' },
            summary: `Prepared transaction 'pay-42' (owner app, database "shop") has waited 2m for COMMIT/ROLLBACK PREPARED, holding XID 900 (100 XIDs back) and 1 lock(s).`,
            evidence: [{ gid: 'pay-42', database: 'shop', xid: '900' }, { lock: 'RowExclusiveLock', locktype: 'relation', relation: 'public.orders' }],
            remediation: [expect.stringContaining(`whether 'pay-42' committed`), `\\connect "shop"\nROLLBACK PREPARED 'pay-42';  -- only once its transaction manager has given it up`],
          },
        ],
      },
      { name: 'an hour old: critical', snapshot: snapshot({ prepared: [prepared('pay-42', { seconds: 3600 })] }), findings: [{ severity: 'critical' }] },
    ],
    healthy: [{ name: 'younger than the threshold, in a database far from wraparound', snapshot: snapshot({ prepared: [prepared('pay-42', { seconds: 30 })] }) }],
  },
  cluster: eachMajor([18, 14], 'prepared').map((s) =>
    suite({
      ...s,
      healthy: { 'a healthy cluster, every threshold at zero': checkAtZero },
      faulty: {
        'subject is database and gid; the fix runs ROLLBACK PREPARED in the owning database': async (cluster) => {
          const fault = await preparedTransactionScenario(cluster, { database: 'shop', deadRows: 200 });
          let proof: Report;
          try {
            expect(findingsOf(await check(cluster), 'prepared-transaction')).toEqual([]); // seconds old, production threshold 60 s
            proof = await check(cluster, { thresholds: { preparedTransactionSeconds: 0 } });
            const [finding, ...more] = findingsOf(proof, 'prepared-transaction');
            expect(more).toEqual([]);
            expect(finding).toMatchObject({ severity: 'warning', subject: { database: 'shop', gid: fault.gid } });
            expect(finding!.summary).toContain(`owner ${fault.owner}, database "shop"`);
            expect(finding!.evidence[0]).toMatchObject({ gid: fault.gid, database: 'shop', owner: 'postgres', xid: fault.xid });
            // Its locks live in "shop": named as "shop" itself names them (a name read from "postgres" could be another table's).
            const locks = finding!.evidence.filter((e) => 'lock' in e);
            expect(locks).toHaveLength(fault.locks.filter((l) => l.locktype !== 'transactionid').length);
            for (const held of fault.locks.filter((l) => l.locktype === 'relation')) {
              // Our sessions run with search_path=pg_catalog, so the name is always schema-qualified.
              const qualified = held.relation!.includes('.') ? held.relation : `public.${held.relation}`;
              expect(locks).toContainEqual({ lock: held.mode, locktype: 'relation', relation: qualified });
            }
            expect(finding!.remediation.join('\n')).toContain(`\\connect "shop"\nROLLBACK PREPARED '${fault.gid}';  -- only once its transaction manager has given it up`);
            // That it pins the horizon of "shop" is xmin-horizon's case (xmin-horizon.test.ts).
          } finally {
            await fault.release();
          }
          return proof;
        },
      },
    }),
  ),
});
