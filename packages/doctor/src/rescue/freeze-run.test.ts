import { afterEach, describe, expect, it, vi } from 'vitest';
import { serverLimits, type PlannedRelation } from './freeze-plan.js';
import { FreezeRun, type FreezeWork } from './freeze-run.js';

const relation = (oid: number): PlannedRelation => ({
  database: 'testdb', oid, schema: 'public', name: `t${oid}`, kind: 'r', shared: false, relation: `public.t${oid}`,
  xidAge: 2_145_000_000, mxidAge: 0, pages: 2000, pagesToScan: 2000, tier: 'stop', sql: `VACUUM public.t${oid}`, startsAt: 0, endsAt: 1,
});
const work = (relations: PlannedRelation[], more: Partial<FreezeWork>): FreezeWork => ({
  relations, target: { xidAge: 200_000_000, mxidAge: 200_000_000 }, limits: serverLimits(150000, []),
  databases: [{ datname: 'testdb', xid_age: 2_145_000_000, mxid_age: 0, allows: true }], final: false, ...more,
});
const newRun = () => new FreezeRun({ jobs: 1, lockTimeoutMs: 1000 }, () => Promise.reject(new Error('no monitor in this test')));

describe('FreezeRun.agesAreFresh', () => {
  afterEach(() => vi.useRealTimers());

  it('takes the ages the stop-zone read brought for a second, then has them read again', () => {
    vi.useFakeTimers();
    const run = newRun();
    const [justRead, planned] = [relation(1), relation(2)];
    run.add(work([justRead], { agesJustRead: true }));
    run.add(work([planned], { final: true }));
    expect(run.agesAreFresh(justRead)).toBe(true);
    expect(run.agesAreFresh(planned)).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(run.agesAreFresh(justRead)).toBe(false);
  });
});
