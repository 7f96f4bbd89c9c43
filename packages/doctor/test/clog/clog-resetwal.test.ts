import { Cluster, wraparoundTemplate, type WraparoundKind } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, findingsOf, realSkips } from '../check/run-check.js';
import { clogJson, NO_RESETWAL } from './clog-env.js';

/**
 * The wraparound lab's templates were pushed on by pg_resetwal -x / -m dozens of times: thousands of segments
 * were never written. Nothing is lost there, so neither clog check nor check may cry wolf.
 */
describe.skipIf(Boolean(NO_RESETWAL)).each(['xid', 'multixact'] as WraparoundKind[])('a cluster moved on by pg_resetwal (the %s wraparound template)', (kind) => {
  let cluster: Cluster;
  beforeAll(async () => {
    const template = await wraparoundTemplate({ kind });
    cluster = await Cluster.copyOf(template.dataDir, { needs: ['pg_resetwal'], label: `clog-resetwal-${kind}` });
  });
  afterAll(() => cluster?.destroy());

  it('clog check: the skipped ranges are gaps, none is a problem; exit 0', async () => {
    const { code, doc } = await clogJson(['check', cluster.connectionString()]);
    expect(code).toBe(0);
    const judged = doc.slrus.find((s) => s.dir === (kind === 'xid' ? 'pg_xact' : 'pg_multixact/offsets'))!;
    expect(judged.gaps.length).toBeGreaterThan(3);
    expect(judged.gaps.reduce((n, g) => n + g.segments, 0)).toBeGreaterThan(500);
    expect(doc.slrus.flatMap((s) => s.problems)).toEqual([]);
  });

  it('check: no clog-missing finding, the dataset read', async () => {
    const report = await check(cluster);
    expect(findingsOf(report, 'clog-missing')).toEqual([]);
    expect(realSkips(report.skipped)).toEqual([]);
  });
});
