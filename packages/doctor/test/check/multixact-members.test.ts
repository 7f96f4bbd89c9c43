import { chownSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { diagnose } from '../../src/diagnose.js';
import { Cluster, serverUser } from '@mvcc-doctor/lab';

const hasResetwal = existsSync('/usr/lib/postgresql/15/bin/pg_resetwal');

/** Two transactions share-locking the same rows: the rows' xmax becomes a MultiXact with two members. */
async function makeMultixacts(cluster: Cluster): Promise<void> {
  await cluster.sql('CREATE TABLE shared_rows (id int PRIMARY KEY); INSERT INTO shared_rows SELECT generate_series(1, 10)');
  const [a, b] = [await cluster.connect(), await cluster.connect()];
  for (const s of [a, b]) await s.query('BEGIN; SELECT * FROM shared_rows FOR SHARE');
  for (const s of [a, b]) await s.query('COMMIT');
  await Promise.all([a.end(), b.end()]);
}

/** pg_resetwal -O needs the members segment holding the new offset (1,636 members a page, 32 pages a segment). */
async function setNextMemberOffset(cluster: Cluster, offset: number): Promise<void> {
  await cluster.stop();
  const segment = Math.floor(Math.floor(offset / 1636) / 32);
  const file = join(cluster.dataDir, 'pg_multixact', 'members', segment.toString(16).toUpperCase().padStart(4, '0'));
  if (!existsSync(file)) {
    writeFileSync(file, Buffer.alloc(32 * 8192));
    chownSync(file, serverUser().uid, serverUser().gid);
  }
  await cluster.tool('pg_resetwal', ['-O', String(offset), cluster.dataDir]);
  await cluster.start();
}

describe.skipIf(!hasResetwal)('mxid-wraparound: MultiXact member space (PostgreSQL 15, pg_resetwal -O)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major: 15, needs: ['pg_resetwal'], label: 'members' });
    await makeMultixacts(cluster);
  });
  afterAll(() => cluster?.destroy());

  const memberFindings = async () => {
    await cluster.sql('CHECKPOINT');
    const report = await diagnose(resolveConnOptions({ conninfo: cluster.connectionString() }), { sampleMs: 0 });
    return report.findings.filter((f) => f.check === 'mxid-wraparound' && f.summary.includes('member space'));
  };

  it('stays silent while the member space is nearly empty', async () => {
    expect(await memberFindings()).toEqual([]);
  });

  it('warns past half of the member space, and is critical past three quarters', async () => {
    // Move the next member offset; the oldest multi keeps its offset, so the space in use is the distance.
    for (const [fraction, severity] of [[0.6, 'warning'], [0.8, 'critical']] as const) {
      await setNextMemberOffset(cluster, Math.floor(2 ** 32 * fraction));
      const findings = await memberFindings();
      expect(findings).toHaveLength(1);
      expect(findings[0]!.severity).toBe(severity);
      expect(findings[0]!.summary).toMatch(new RegExp(`MultiXact member space is ${Math.round(fraction * 100)}% used`));
    }
  });

  it('reports member space as skipped, naming the privilege, for a role that is not superuser', async () => {
    await cluster.sql('CREATE ROLE watcher LOGIN IN ROLE pg_monitor');
    const conn = resolveConnOptions({ conninfo: cluster.connectionString().replace('postgres@', 'watcher@') });
    const report = await diagnose(conn, { sampleMs: 0 });
    expect(report.skipped).toContainEqual(expect.objectContaining({ what: 'multixactMembers', reason: expect.stringMatching(/superuser/) }));
  });
});
