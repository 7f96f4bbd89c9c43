import { describe, expect, it } from 'vitest';
import { adviseFailure } from '../../src/rescue/failure-advice.js';
import type { PlannedRelation } from '../../src/rescue/freeze-plan.js';
import { progressView } from '../../src/rescue/progress-view.js';

const relation: PlannedRelation = {
  database: 'shop',
  oid: 16400,
  schema: 'public',
  name: 'orders',
  kind: 'r',
  shared: false,
  relation: '"public"."orders"',
  xidAge: 2_140_000_000,
  mxidAge: 0,
  pages: 500,
  pagesToScan: 500,
  tier: 'stop',
  sql: 'VACUUM (FREEZE, TRUNCATE false) "public"."orders"',
  startsAt: 0,
  endsAt: 0.5,
};

describe('adviseFailure', () => {
  it('tells a bad block, a lock timeout, a cancel, a dropped table and a lost session apart; only the last two kinds are retried', () => {
    expect(adviseFailure({ code: 'XX001', message: 'invalid page in block 4 of relation base/5/16400' }, relation, 1000)).toMatchObject({ kind: 'corruption', retry: false });
    // Issue 12 item 6: the next step is the exact command that locates the bad blocks, then the one that salvages.
    expect(adviseFailure({ code: 'XX001', message: '' }, relation, 1000).nextStep).toBe(
      'Until it is frozen it holds "shop" at 2,140,000,000 XIDs. Locate the bad block(s): mvcc-doctor corruption scan -d shop --table \'"public"."orders"\'; ' +
        'then copy out every row that reads: mvcc-doctor corruption salvage plan -d shop --table \'"public"."orders"\' --into \'"public"."orders_salvaged"\', and swap the tables as that plan shows. ' +
        'A standby or a backup may hold a good copy of the page.',
    );
    const index = adviseFailure({ code: 'XX002', message: 'index "orders_pkey" contains unexpected zero page' }, relation, 1000);
    expect(index).toMatchObject({ kind: 'index-corruption', retry: false });
    expect(index.nextStep).toContain(`Which index, and whether the table too: mvcc-doctor corruption scan -d shop --table '"public"."orders"'`);
    const locked = adviseFailure({ code: '55P03', message: 'canceling statement due to lock timeout' }, relation, 1500);
    expect(locked).toMatchObject({ kind: 'locked', retry: true });
    expect(locked.nextStep).toContain('lock_timeout (1500 ms)');
    expect(locked.nextStep).toContain('SELECT pid, mode, granted FROM pg_locks WHERE relation = 16400');
    expect(adviseFailure({ code: '57014', message: 'canceling statement due to user request' }, relation, 1000)).toMatchObject({ kind: 'cancelled', retry: false });
    expect(adviseFailure({ code: '42P01', message: 'relation does not exist' }, relation, 1000)).toMatchObject({ kind: 'gone' });
    expect(adviseFailure({ code: '57P01', message: 'terminating connection due to administrator command' }, relation, 1000)).toMatchObject({ kind: 'connection', retry: true });
    expect(adviseFailure({ message: 'Connection terminated unexpectedly' }, relation, 1000)).toMatchObject({ kind: 'connection', retry: true });
    expect(adviseFailure({ code: '54000', message: 'database is not accepting commands to avoid wraparound data loss in database "shop"' }, relation, 1000)).toMatchObject({ kind: 'xid-needed' });
    expect(adviseFailure({ code: 'XX000', message: 'something else' }, relation, 1000)).toMatchObject({ kind: 'other', retry: false });
  });
});

describe('progressView', () => {
  const tick = {
    type: 'progress' as const,
    elapsed: 1.5,
    workers: [{ worker: 0, pid: 9, relation, phase: 'scanning heap', scanned: 250, total: 500, startedAt: Date.now() - 1000 }, { worker: 1 }],
    databases: [{ datname: 'shop', xid_age: 2_140_000_000, mxid_age: 0, allows: true }],
    pagesDone: 250,
    pagesTotal: 1000,
    etaSeconds: 4.5,
  };
  const target = { type: 'work-added' as const, relations: [], final: true, target: { xidAge: 200_000_000, mxidAge: 200_000_000 } };

  it('off a terminal: one plain line per finished or failed relation, ages every few seconds', () => {
    let text = '';
    const view = progressView((t) => void (text += t), { tty: false, color: false, logEveryMs: 0 });
    view.onEvent(target);
    view.onEvent(tick);
    view.onEvent({ type: 'relation-frozen', worker: 0, result: { relation, seconds: 0.25, xidAgeAfter: 12, mxidAgeAfter: 0 } });
    view.onEvent({
      type: 'relation-failed',
      worker: 1,
      result: { relation, kind: 'locked', code: '55P03', message: 'canceling statement due to lock timeout', nextStep: '…', attempts: 1 },
      willRetry: true,
    });
    view.finish();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\S+Z 1\.5s {2}250\/1,000 pages \(25%\) {2}ETA 4\.5s; over the target: shop 2,140,000,000$/);
    expect(lines[1]).toMatch(/frozen {2}"public"\."orders" in "shop" {2}2,140,000,000 → 12 XIDs {2}500 pages {2}0\.25s$/);
    expect(lines[2]).toMatch(/FAILED {2}"public"\."orders" in "shop": canceling statement due to lock timeout \(55P03\) {2}\[retried at the end\]$/);
    expect(text).not.toContain('\x1b[');
  });

  it('skipped relations are counted for the summary, and shown one by one only with verbose', () => {
    const skipped = { type: 'relation-skipped' as const, worker: 0, result: { relation, reason: 'already under the target (frozen by someone else since the plan)' } };
    for (const verbose of [false, true]) {
      let text = '';
      const view = progressView((t) => void (text += t), { tty: false, color: false, verbose });
      view.onEvent(skipped);
      expect(text.includes('skipped')).toBe(verbose);
    }
  });

  it('a cancelled run says what it cancels, and nothing when no VACUUM was running (a server that could not be reached)', () => {
    const said = (running: number) => {
      let text = '';
      const view = progressView((t) => void (text += t), { tty: false, color: false });
      view.onEvent({ type: 'stopping', reason: 'cancelled', running });
      return text;
    };
    expect(said(0)).toBe('');
    expect(said(1)).toMatch(/cancelling our VACUUM…\n$/);
    expect(said(2)).toMatch(/cancelling our 2 VACUUMs…\n$/);
  });

  it('on a terminal: a bar per worker, redrawn in place, cut to the terminal width, removed at the end', () => {
    let text = '';
    const view = progressView((t) => void (text += t), { tty: true, color: false, columns: 60 });
    view.onEvent(target);
    view.onEvent(tick);
    const first = text;
    expect(first.split('\n').filter(Boolean)).toHaveLength(4);
    expect(first).toContain('job 1  [############............]  50%');
    expect(first).toContain('job 2  idle');
    for (const line of first.split('\n')) expect(line.length).toBeLessThan(60);
    view.onEvent(tick);
    expect(text.slice(first.length).startsWith('\x1b[4A\x1b[0J')).toBe(true);
    view.finish();
    expect(text.endsWith('\x1b[4A\x1b[0J')).toBe(true);
  });
});
