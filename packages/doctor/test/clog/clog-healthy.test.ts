import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClogReport } from '../../src/clog/check-clog.js';
import type { ClogPlan } from '../../src/clog/plan-clog.js';
import { cli } from '../check/run-check.js';
import { clogJson } from './clog-env.js';

describe.each([18, 14])('clog check and plan on a healthy PostgreSQL %i cluster', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ major, label: `clog-healthy${major}` });
    // MultiXacts too: two sessions share-lock the same rows, so offsets and members hold entries.
    await cluster.sql('CREATE TABLE shared (id int PRIMARY KEY)');
    await cluster.sql('INSERT INTO shared SELECT generate_series(1, 100)');
    const [a, b] = [await cluster.connect(), await cluster.connect()];
    for (const s of [a, b]) {
      await s.query('BEGIN');
      await s.query('SELECT * FROM shared FOR SHARE');
    }
    for (const s of [a, b]) await s.query('COMMIT');
    await Promise.all([a.end(), b.end()]);
    await cluster.sql('CHECKPOINT');
  });
  afterAll(() => cluster?.destroy());

  it('over SQL: every segment is there, nothing skipped, exit 0; plan has nothing to recover', async () => {
    const { code, doc } = await clogJson(['check', cluster.connectionString()]);
    expect(code).toBe(0);
    // Only the log: the lab logs to stderr, so the server has no log file of its own to name.
    expect(doc.skipped).toEqual([{ what: 'server log', reason: 'the server writes no log file of its own (logging_collector is off); give the XID with --xid' }]);
    expect(doc.slrus.flatMap((s) => [...s.problems, ...s.gaps])).toEqual([]);
    expect(doc.multixacts.next).toBeGreaterThan(1);
    const plan = await cli(['clog', 'plan', cluster.connectionString()]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Nothing to recover: every segment the IDs in use need is there — exit 0');
    const json = await clogJson<ClogPlan>(['plan', cluster.connectionString()]);
    expect(json.doc).toMatchObject({ exit_code: 0, segments: [], steps: [] });
  });

  it('--pgdata reads global/pg_control as the server does: the same counters as pg_control_checkpoint()', async () => {
    const { rows } = await cluster.sql<Record<string, string>>(
      `SELECT next_xid, oldest_xid::text, next_multixact_id::text, next_multi_offset::text, oldest_multi_xid::text FROM pg_control_checkpoint()`,
    );
    const ckpt = rows[0]!;
    const { code, doc } = await clogJson<ClogReport>(['check', '--pgdata', cluster.dataDir]);
    expect(code).toBe(0);
    const [epoch, xid] = ckpt.next_xid!.split(':').map(Number);
    expect(doc.transactions).toMatchObject({ checkpointNext: epoch! * 2 ** 32 + xid!, oldest: Number(ckpt.oldest_xid) });
    expect(doc.multixacts).toMatchObject({ next: Number(ckpt.next_multixact_id), nextOffset: Number(ckpt.next_multi_offset), oldest: Number(ckpt.oldest_multi_xid) });
    expect(doc.server).toMatchObject({ major, blockSize: 8192, inRecovery: false });
    expect(doc.source).toMatchObject({ kind: 'pgdata', running: true, state: 'in production' });
    expect(doc.slrus.flatMap((s) => [...s.problems, ...s.gaps])).toEqual([]);
  });

  it('usage errors exit 3 before connecting', async () => {
    expect((await cli(['clog'])).stderr).toMatch(/usage error: clog takes "check" or "plan"/);
    expect((await cli(['clog', 'check', '--xid', 'twelve', cluster.connectionString()])).stderr).toMatch(/"twelve" is not a transaction ID/);
    expect((await cli(['clog', 'check', '--pgdata', cluster.dataDir, cluster.connectionString()])).code).toBe(3);
    expect((await cli(['clog', 'check', '--pgdata', '/nonexistent'])).stderr).toMatch(/cannot read: \/nonexistent is not a PostgreSQL data directory/);
  });
});
