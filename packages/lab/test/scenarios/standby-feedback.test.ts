import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { deadButNotRemovable, vacuumVerbose, waitFor } from '../../src/evidence.js';
import { startStandby, type Standby } from '../../src/standby.js';
import { standbyFeedback } from '../../src/scenarios/standby-feedback.js';

describe('scenario: a hot standby query holding the primary back through hot_standby_feedback', () => {
  let primary: Cluster;
  let standby: Standby;
  beforeAll(async () => {
    primary = await Cluster.create({ major: 15, label: 'primary' });
    standby = await startStandby(primary);
  });
  afterAll(async () => {
    await standby?.cluster.destroy();
    await primary?.destroy();
  });

  it('the standby is a real streaming hot standby', async () => {
    const { rows } = await standby.cluster.sql<{ recovery: boolean; feedback: string }>(
      `SELECT pg_is_in_recovery() AS recovery, current_setting('hot_standby_feedback') AS feedback`,
    );
    expect(rows[0]).toEqual({ recovery: true, feedback: 'on' });
    const { rows: replication } = await primary.sql('SELECT state FROM pg_stat_replication WHERE pid = $1', [standby.walsenderPid]);
    expect(replication[0]).toEqual({ state: 'streaming' });
    await expect(standby.cluster.sql('CREATE TABLE nope (id int)')).rejects.toMatchObject({ code: '25006' });
  });

  it("the standby's snapshot is the primary's horizon: VACUUM on the primary cannot remove the deleted rows", async () => {
    const fault = await standbyFeedback(standby, { deadRows: 400, xids: 500 });
    try {
      const { rows } = await primary.sql<{ xmin: string; age: number }>(
        'SELECT backend_xmin::text AS xmin, age(backend_xmin) AS age FROM pg_stat_replication WHERE application_name = $1',
        [fault.applicationName],
      );
      expect(rows[0]!.xmin).toBe(fault.feedbackXmin);
      expect(BigInt(fault.feedbackXmin)).toBeLessThanOrEqual(BigInt(fault.standbyXmin));
      expect(rows[0]!.age).toBeGreaterThanOrEqual(500);
      const verbose = await vacuumVerbose(primary, fault.table);
      expect(deadButNotRemovable(verbose)).toBe(400);
      // The primary has no session of its own holding anything: only the walsender does.
      const { rows: own } = await primary.sql(
        `SELECT pid FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      expect(own).toEqual([]);

      // Healthy contrast: the report ends, the next feedback releases the horizon, VACUUM removes the rows.
      await fault.release();
      await waitFor(async () => {
        const { rows: now } = await primary.sql<{ age: number | null }>(
          'SELECT age(backend_xmin) AS age FROM pg_stat_replication WHERE application_name = $1',
          [fault.applicationName],
        );
        return now[0] && (now[0].age === null || now[0].age < 10);
      }, 'the feedback xmin to advance');
    } finally {
      await fault.release();
    }
  });

  it('once the standby query ends, the same deletes are removable', async () => {
    const fault = await standbyFeedback(standby, { deadRows: 300, xids: 10 });
    // Keep the table, end only the standby's snapshot: release drops the table, so end the session first.
    await standby.cluster.sql('SELECT pg_terminate_backend($1)', [fault.standbyPid]);
    try {
      await waitFor(async () => {
        const { rows } = await primary.sql<{ ok: boolean }>(
          'SELECT backend_xmin IS NULL OR backend_xmin::text::int8 > $2::int8 AS ok FROM pg_stat_replication WHERE application_name = $1',
          [fault.applicationName, fault.standbyXmin],
        );
        return rows[0]?.ok;
      }, 'the feedback xmin to move past the ended snapshot');
      const verbose = await vacuumVerbose(primary, fault.table);
      expect(deadButNotRemovable(verbose)).toBe(0);
      expect(verbose).toMatch(/300 removed|removed 300/);
    } finally {
      await fault.release();
    }
  });
});
