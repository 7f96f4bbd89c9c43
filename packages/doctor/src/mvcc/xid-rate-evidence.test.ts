import { describe, expect, it } from 'vitest';
import type { XidClockRow } from '../collect/rows.js';
import { longRunRate, rateBasis } from './xid-rate-evidence.js';

const server = { version_num: 180000, version: '18.0', in_recovery: false, role: 'postgres', superuser: true, read_all_stats: true, next_xid: '1000', at: 1_700_000_000, uptime_seconds: 86_400 };
const checkpoint = (xids: number, seconds: number): XidClockRow => ({ source: 'checkpoint', relation: null, xids, seconds });
const vacuum = (xids: number, seconds: number): XidClockRow => ({ source: 'vacuum', relation: 'public.orders', xids, seconds });

describe('longRunRate', () => {
  it('the count since the last checkpoint is exact; a vacuumed relation only gives a ceiling', () => {
    expect(longRunRate({ server, xidClocks: [checkpoint(150_000, 300), vacuum(150_000, 7200)] })).toEqual({ xidsPerSecond: 500, seconds: 300, source: 'checkpoint', atMost: false, relation: undefined });
    expect(longRunRate({ server, xidClocks: [vacuum(72_000, 7200)] })).toEqual({ xidsPerSecond: 10, seconds: 7200, source: 'vacuum', atMost: true, relation: 'public.orders' });
  });

  it('a checkpoint just taken says nothing: the vacuumed relation is used instead', () => {
    expect(longRunRate({ server, xidClocks: [checkpoint(0, 2), vacuum(72_000, 7200)] })?.source).toBe('vacuum');
  });

  it('needs at least 10 s and three times the sample, or it adds nothing to the sample', () => {
    expect(longRunRate({ server, xidClocks: [checkpoint(100, 9)] })).toBeUndefined();
    expect(longRunRate({ server, xidRate: { xidsPerSecond: 0, sampleSeconds: 10 }, xidClocks: [checkpoint(100, 20)] })).toBeUndefined();
    expect(longRunRate({ server, xidRate: { xidsPerSecond: 0, sampleSeconds: 10 }, xidClocks: [checkpoint(100, 40)] })?.seconds).toBe(40);
    expect(longRunRate({ server })).toBeUndefined();
  });

  it('a stopped server consumes nothing: the window starts at the server start at the latest', () => {
    // A copy of a data dir started a minute ago: its last checkpoint is from a day before.
    expect(longRunRate({ server: { ...server, uptime_seconds: 60 }, xidClocks: [checkpoint(6000, 86_400)] })).toMatchObject({ xidsPerSecond: 100, seconds: 60 });
  });
});

describe('rateBasis', () => {
  const longRun = { xidsPerSecond: 600, seconds: 250, source: 'checkpoint' as const, atMost: false };

  it('says the sample saw nothing, then what the longer run saw', () => {
    expect(rateBasis({ xidsPerSecond: 0, sampleSeconds: 1 }, longRun)).toBe('no XIDs consumed during the 1.0 s sample; over the last 4m 10s (since the last checkpoint) the rate was 600 XIDs/s');
    expect(rateBasis({ xidsPerSecond: 0, sampleSeconds: 1 }, { xidsPerSecond: 0.5, seconds: 7200, source: 'vacuum', atMost: true, relation: 'public.t' })).toBe(
      'no XIDs consumed during the 1.0 s sample; over the last 2h (since public.t was last vacuumed) the rate was at most 1,800 XIDs/h',
    );
  });

  it('the sample alone, serve\'s fitted history, or nothing', () => {
    expect(rateBasis({ xidsPerSecond: 1234.4, sampleSeconds: 1.02 }, undefined)).toBe('1,234 XIDs/s during the 1.0 s sample');
    expect(rateBasis({ xidsPerSecond: 12, sampleSeconds: 3600, source: 'history' }, undefined)).toBe('12 XIDs/s fitted over the last 1h of history');
    expect(rateBasis(undefined, undefined)).toBe('rate not sampled (--sample); no longer-run evidence (no checkpoint or vacuum long enough ago)');
    expect(rateBasis(undefined, longRun)).toBe('rate not sampled (--sample); over the last 4m 10s (since the last checkpoint) the rate was 600 XIDs/s');
  });
});
