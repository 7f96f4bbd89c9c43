import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { deadButNotRemovable, vacuumVerbose, waitFor } from '../../src/evidence.js';
import { longTransaction } from '../../src/scenarios/long-transaction.js';

describe.each([18, 14])('scenario: long-running statement holding the xmin horizon (PostgreSQL %i)', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `long-stmt-${major}` });
  });
  afterAll(() => cluster?.destroy());

  it.each(['snapshot', 'xid'] as const)('an active statement pins the horizon (%s): VACUUM cannot remove the dead rows', async (pin) => {
    const fault = await longTransaction(cluster, { pin, deadRows: 400, applicationName: 'report-job' });
    try {
      const { rows } = await cluster.sql<{ state: string; xmin: string | null; xid: string | null; query: string; app: string }>(
        `SELECT state, backend_xmin::text AS xmin, backend_xid::text AS xid, query, application_name AS app
           FROM pg_stat_activity WHERE pid = $1`,
        [fault.pid],
      );
      expect(rows[0]).toMatchObject({ state: 'active', xmin: fault.xmin, query: fault.query, app: 'report-job' });
      expect(rows[0]?.xid ?? null).toBe(pin === 'xid' ? fault.xid : null);
      expect(fault.xid === null).toBe(pin === 'snapshot');
      expect(deadButNotRemovable(await vacuumVerbose(cluster, fault.table))).toBe(400);

      // Healthy contrast: cancel the statement (the session stays), and the same rows become removable.
      await cluster.sql('SELECT pg_cancel_backend($1)', [fault.pid]);
      await waitFor(async () => {
        const { rows: now } = await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state <> $2 AND backend_xmin IS NULL AND backend_xid IS NULL', [fault.pid, 'active']);
        return now.length === 1;
      }, 'the cancelled session to drop its snapshot');
      const verbose = await vacuumVerbose(cluster, fault.table);
      expect(deadButNotRemovable(verbose)).toBe(0);
      expect(verbose).toMatch(/400 removed|removed 400|found 400 removable/);
    } finally {
      await fault.release();
    }
  });

  it('release cancels the statement, ends the session and drops the table', async () => {
    const fault = await longTransaction(cluster, { deadRows: 10 });
    await fault.release();
    await fault.release(); // idempotent
    const { rows } = await cluster.sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [fault.pid]);
    expect(rows[0]?.n).toBe(0);
    expect((await cluster.sql('SELECT to_regclass($1) AS t', [fault.table])).rows[0]?.t).toBeNull();
  });
});
