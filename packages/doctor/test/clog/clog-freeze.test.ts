import { Cluster, clogMissing, type ClogMissingFault } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli } from '../check/run-check.js';
import { NO_RESETWAL } from './clog-env.js';

describe.skipIf(Boolean(NO_RESETWAL))('freeze meets a missing pg_xact segment: the table fails alone, and the next step is the exact clog check', () => {
  let cluster: Cluster;
  let fault: ClogMissingFault;
  beforeAll(async () => {
    cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal'], autovacuum: false, label: 'clog-freeze' });
    fault = await clogMissing(cluster, { firstXid: 1_000_000 });
  });
  afterAll(() => cluster?.destroy());

  it('VACUUM (FREEZE) of the table fails with 58P01; the advice maps the XID and names mvcc-doctor clog check --xid, which then finds the file', async () => {
    const { out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0', '--json']).then((r) => ({ out: r.stdout }));
    const { result } = JSON.parse(out) as { result: FreezeRunResult };
    const failed = result.failed.find((f) => f.relation.relation === `"public"."${fault.table.slice(7)}"`)!;
    // Pruning walks a page from its last tuple back: the retried insert of id 200 (1,000,009) is met first.
    expect(failed).toMatchObject({ kind: 'corruption', code: '58P01', message: `could not access status of transaction ${fault.lost.retried}` });
    expect(fault.lost.retried).toBe(1_000_009); // 1,000,009 >> 2 = 250,002
    expect(failed.nextStep).toContain('its bits are at byte 250002 of pg_xact/0000, a file that is missing or short');
    expect(failed.nextStep).toContain('Run mvcc-doctor clog check --xid 1000009 (with this connection');
    expect(failed.nextStep).not.toMatch(/bad block/);
    const named = await cli(['clog', 'check', cluster.connectionString(), '--xid', '1000009']);
    expect(named.code).toBe(2);
    expect(named.stdout).toContain('Transaction 1000009, from --xid: status LOST');
  });
});
