import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, listInstallations, checksumFailures, type ChecksumFailuresFault } from '@mvcc-doctor/lab';
import type { FreezePlan } from '../../src/rescue/freeze-plan.js';
import type { FreezeRunResult } from '../../src/rescue/run-types.js';
import { cli, tableAge } from './helpers.js';

const HEALTHY = ['public.orders', 'public.customers', 'public.events'];
const majors = [18, 15].filter((major) => listInstallations().some((i) => i.major === major));

describe.each(majors)('freeze: a table with a corrupted page fails alone (PostgreSQL %i, checksums)', (major) => {
  let cluster: Cluster;
  let fault: ChecksumFailuresFault;

  beforeAll(async () => {
    cluster = await Cluster.create({ major, checksums: true, autovacuum: false, label: `freeze-corrupt-${major}` });
    for (const table of HEALTHY) {
      await cluster.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text)`);
      await cluster.sql(`INSERT INTO ${table} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 3000) g`);
    }
    fault = await checksumFailures(cluster);
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('every other relation is frozen; the bad one is reported with its error, the block and the next step', async () => {
    const { code, out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0', '--json']);
    const { plan, result } = JSON.parse(out) as { plan: FreezePlan; result: FreezeRunResult };
    const bad = `"public"."${fault.table.slice(7)}"`;
    expect(plan.order.map((r) => r.relation)).toContain(bad);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ kind: 'corruption', code: 'XX001', attempts: 1 });
    expect(result.failed[0]!.relation.relation).toBe(bad);
    expect(result.failed[0]!.message).toMatch(new RegExp(`invalid page in block ${fault.block} of relation`));
    // PostgreSQL 18 reads ahead: the context names the block being scanned, the message the bad one.
    expect(result.failed[0]!.context).toMatch(new RegExp(`^while scanning block \\d+ of relation "public\\.${fault.table.slice(7)}"$`));
    // Issue 12 item 6: the exact command that finds the bad block, for this database and this table.
    expect(result.failed[0]!.nextStep).toContain(`Locate the bad block(s): mvcc-doctor corruption scan -d postgres --table '${bad}';`);
    // Nothing stopped at the failure: every other planned relation was frozen.
    expect(result.frozen).toHaveLength(plan.order.length - 1);
    for (const table of HEALTHY) expect(await tableAge(cluster, table)).toBeLessThanOrEqual(1);
    expect(result.targetReached).toBe(false);
    expect(code).toBe(2);
  });

  it('the text report names the failure and what to do', async () => {
    const { out } = await cli(['freeze', 'run', cluster.connectionString(), '--target-age', '0']);
    expect(out).toMatch(/Failed \(the run went on without them\):\n {2}"public"\."lab_corrupt_\w+" in "postgres": invalid page in block \d+ of relation "?base\/\d+\/\d+"? \(SQLSTATE XX001\)/);
    expect(out).toMatch(/ {4}next: Until it is frozen it holds "postgres" at [\d,]+ XIDs\. Locate the bad block\(s\): mvcc-doctor corruption scan -d postgres --table '"public"\."lab_corrupt_\w+"';/);
  });
});
