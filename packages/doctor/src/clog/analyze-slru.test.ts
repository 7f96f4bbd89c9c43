import { describe, expect, it } from 'vitest';
import { analyzeSlru } from './analyze-slru.js';
import type { SegmentFile } from './inventory.js';
import { segmentName, slruGeometry } from './slru.js';

const XACT = slruGeometry('pg_xact');
const SEG = 1048576;
const PAGE = 32768; // XIDs per page
const FULL = 262144;

/** A segment file: `used` sets its last bytes (the IDs ran to its end). */
function file(segment: number, size = FULL, used = true): SegmentFile {
  return { name: segmentName(segment), size, tail: new Uint8Array(Math.min(size, 256)).fill(used ? 0x55 : 0) };
}

describe('analyzeSlru on pg_xact', () => {
  it('healthy fresh cluster: one short segment holding the oldest and the next XID', () => {
    const a = analyzeSlru(XACT, 716, 725, [file(0, 8192, false)]);
    expect(a).toMatchObject({ firstSegment: '0000', lastSegment: '0000', segments: 1, present: 1, problems: [], gaps: [] });
  });

  it('the lab fault: the oldest XID\'s segment is gone, NextXID opens the next segment', () => {
    const a = analyzeSlru(XACT, 716, SEG, []);
    expect(a.segments).toBe(1); // 0001 holds nothing in use yet
    expect(a.problems).toEqual([
      expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', size: 0, neededBytes: 8192, firstId: 716, lastId: SEG - 1, certain: true, why: 'it holds the oldest transaction in use (716)' }),
    ]);
    expect(a.gaps).toEqual([]);
  });

  it('pg_resetwal jumps (the wraparound lab): unused ends before each absent run make them gaps, not problems', () => {
    const jump = 1000 * SEG + 12_345; // mid-page: the lab made that segment whole, of zeros, and used a few XIDs
    const next = 2000 * SEG + 40_000;
    const a = analyzeSlru(XACT, 716, next, [file(0, 8192, false), file(1000, FULL, false), file(2000, FULL, false)], []);
    expect(a.problems).toEqual([]);
    expect(a.gaps.map((g) => [g.file, g.firstId, g.lastId, g.certain, g.segments, g.neededBytes])).toEqual([
      ['pg_xact/0001..03E7', SEG, 1000 * SEG - 1, false, 999, 0],
      ['pg_xact/03E9..07CF', 1001 * SEG, 2000 * SEG - 1, false, 999, 0],
    ]);
    expect(a.present).toBe(3);
    expect(jump).toBeLessThan(1001 * SEG);
  });

  it('a segment lost between used ones: certain, and so is the run after it', () => {
    const next = 5 * SEG + 100_000;
    const a = analyzeSlru(XACT, 716, next, [file(0), file(1), file(2), file(5, 4 * 8192, true)]);
    expect(a.problems.map((p) => [p.file, p.kind, p.certain, p.why])).toEqual([
      ['pg_xact/0003', 'missing', true, 'the transactions before it ran up to its first one'],
      ['pg_xact/0004', 'missing', true, 'the transactions before it ran up to its first one'],
    ]);
  });

  it('a standby without the newest segment: needed up to the page of the next XID', () => {
    const next = 3 * SEG + PAGE + 7; // page 1 of 0003
    const a = analyzeSlru(XACT, 716, next, [file(0), file(1), file(2)]);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0003', kind: 'missing', neededBytes: 2 * 8192, firstId: 3 * SEG, lastId: next - 1, certain: true })]);
  });

  it('the newest segment missing after an unused end: still needed, for the page of the next XID the server reads at start', () => {
    const next = 3 * SEG + 2 * PAGE + 7;
    const a = analyzeSlru(XACT, 716, next, [file(0, 8192, false)]);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0003', firstId: 3 * SEG + 2 * PAGE, lastId: next - 1, neededBytes: 3 * 8192 })]);
    expect(a.problems[0]!.why).toMatch(/^the next transaction \(\d+\) is on page 2 of it/);
    expect(a.gaps.map((g) => g.file)).toEqual(['pg_xact/0001..0002']);
  });

  it('the newest segment whose next XID opens a page: nothing needed unless XIDs ran into it', () => {
    expect(analyzeSlru(XACT, 716, 3 * SEG + 2 * PAGE, [file(0, 8192, false)]).problems).toEqual([]);
    const ran = analyzeSlru(XACT, 716, 3 * SEG + 2 * PAGE, [file(0), file(1), file(2)]);
    expect(ran.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0003', neededBytes: 2 * 8192, firstId: 3 * SEG, lastId: 3 * SEG + 2 * PAGE - 1 })]);
  });

  it('short files: a used end that stops before 32 pages, a newest file without the next XID\'s page, a partial page', () => {
    const next = 3 * SEG + 5 * PAGE + 1;
    const a = analyzeSlru(XACT, 716, next, [file(0), file(1, 10 * 8192, true), file(2, FULL, false), file(3, 3 * 8192, false)]);
    expect(a.problems.map((p) => [p.file, p.kind, p.size, p.neededBytes, p.firstId, p.lastId])).toEqual([
      ['pg_xact/0001', 'short', 10 * 8192, FULL, SEG + 10 * PAGE, 2 * SEG - 1],
      ['pg_xact/0003', 'short', 3 * 8192, 6 * 8192, 3 * SEG + 3 * PAGE, next - 1],
    ]);
    const partial = analyzeSlru(XACT, 716, 2 * SEG + 10, [file(0), file(1), file(2, 8192 + 100, true)]);
    expect(partial.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0002', kind: 'short', neededBytes: 2 * 8192, why: 'it ends inside a page: the server reads whole pages' })]);
  });

  it('the oldest XID\'s page must be there even when its file is short', () => {
    const a = analyzeSlru(XACT, 4 * PAGE + 3, SEG + 5, [file(0, 2 * 8192, false), file(1, 8192, false)]);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0000', kind: 'short', neededBytes: 5 * 8192, firstId: 4 * PAGE + 3 })]);
  });

  it('a failing XID in a gap is a witness: that segment is needed', () => {
    const next = 10 * SEG + 5;
    const a = analyzeSlru(XACT, 716, next, [file(0, 8192, false), file(10, 8192, false)], [4 * SEG + 77]);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0004', certain: true, neededBytes: 8192, why: 'transaction 4194381, which is in use, has its entry there' })]);
    expect(a.gaps.map((g) => g.file)).toEqual(['pg_xact/0001..0003', 'pg_xact/0005..0009']);
  });

  it('across the wrap at 2^32: 0FFE, 0FFF, then 0000', () => {
    const oldest = 2 ** 32 - 2 * SEG + 5;
    const next = SEG + 7;
    const a = analyzeSlru(XACT, oldest, next, [file(4094), file(4095), file(1, 8192, true)]);
    expect([a.firstSegment, a.lastSegment, a.segments]).toEqual(['0FFE', '0001', 4]);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_xact/0000', kind: 'missing', firstId: 0, lastId: SEG - 1, certain: true })]);
  });
});

describe('analyzeSlru on pg_multixact', () => {
  it('offsets: fresh cluster (next = oldest = 1) needs the first page only', () => {
    const g = slruGeometry('pg_multixact/offsets');
    expect(analyzeSlru(g, 1, 1, [file(0, 8192, false)]).problems).toEqual([]);
    expect(analyzeSlru(g, 1, 1, [])).toMatchObject({ problems: [expect.objectContaining({ file: 'pg_multixact/offsets/0000', neededBytes: 8192 })] });
  });

  it('members: the partial last segment before the wrap is named with five hex digits', () => {
    const g = slruGeometry('pg_multixact/members');
    const a = analyzeSlru(g, 2 ** 32 - 100, 500, [file(0, 8192, true)]);
    expect([a.firstSegment, a.lastSegment]).toEqual(['14078', '0000']);
    expect(a.problems).toEqual([expect.objectContaining({ file: 'pg_multixact/members/14078', kind: 'missing', firstId: 2 ** 32 - 100, lastId: 2 ** 32 - 1 })]);
  });
});
