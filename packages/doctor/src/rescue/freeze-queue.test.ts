import { describe, expect, it } from 'vitest';
import type { PlannedRelation } from './freeze-plan.js';
import { FreezeQueue } from './freeze-queue.js';
import type { ProgressRow } from './run-monitor.js';

const relation = (oid: number): PlannedRelation => ({
  database: 'testdb', oid, schema: 'public', name: `t${oid}`, kind: 'r', shared: false, relation: `public.t${oid}`,
  xidAge: 2_100_000_000, mxidAge: 0, pages: 2000, pagesToScan: 2000, tier: 'stop', sql: `VACUUM public.t${oid}`, startsAt: 0, endsAt: 1,
});
const autovacuumOn = (oid: number): ProgressRow => ({
  pid: 4242, datname: 'testdb', relid: oid, phase: 'scanning heap', total: 2000, scanned: 10, backend_type: 'autovacuum worker', wait_event: null,
});

describe('FreezeQueue', () => {
  it('starts nothing before it has seen what others vacuum; then leaves their relations to them', () => {
    const queue = new FreezeQueue();
    queue.add([relation(1), relation(2)]);
    expect(queue.take('testdb', false)).toBeUndefined();
    // What the stop-zone read (or the first tick) saw: an autovacuum on t1.
    queue.noteOthers([autovacuumOn(1)], new Set());
    expect(queue.take('testdb', false)?.name).toBe('t2');
    expect(queue.take('testdb', false)).toBeUndefined();
  });

  it('counts a relation in hand from its take to its release, the queue being empty meanwhile (the run is not idle then)', () => {
    const queue = new FreezeQueue();
    queue.noteOthers([], new Set());
    queue.add([relation(1)]);
    const taken = queue.take('testdb', false)!;
    expect(queue.isEmpty(false)).toBe(true);
    expect(queue.anyInHand).toBe(true);
    queue.release(taken);
    expect(queue.anyInHand).toBe(false);
  });
});
