import { describe, expect, it } from 'vitest';
import { bisect, type Outcome } from './bisect.js';

/**
 * The search on its own, against an oracle that reads like a sequential scan: a range fails at its first bad
 * position, and the error names it when `named` (a checksum failure does) or not (a broken tuple does not).
 * The real-cluster tests (test/corruption) prove the probes themselves.
 */
function oracle(bad: Set<number>, options: { named: boolean; slow?: Set<number> } = { named: true }) {
  const probes: [number, number][] = [];
  const probe = async (from: number, to: number): Promise<Outcome> => {
    probes.push([from, to]);
    if (options.slow && to - from > 1 && [...options.slow].some((s) => s >= from && s < to)) return { ok: false, error: { sqlstate: '57014', message: 'canceling statement due to statement timeout' } };
    for (let at = from; at < to; at++) {
      if (bad.has(at)) return { ok: false, error: { sqlstate: 'XX001', message: options.named ? `invalid page in block ${at} of relation base/5/1` : 'compressed pglz data is corrupt' } };
    }
    return { ok: true, rows: (to - from) * 10 };
  };
  const named = (e: { message: string }) => {
    const m = /block (\d+)/.exec(e.message);
    return m ? { first: Number(m[1]), last: Number(m[1]) } : undefined;
  };
  return { probes, probe, named };
}

describe('bisect', () => {
  it('a clean range is one probe', async () => {
    const { probes, probe, named } = oracle(new Set());
    const result = await bisect(0, 10_000, probe, { named });
    expect(result).toEqual({ good: [{ from: 0, to: 10_000, rows: 100_000 }], bad: [], unread: [] });
    expect(probes).toHaveLength(1);
  });

  it.each([
    [[0], 10_000],
    [[9_999], 10_000],
    [[10, 50, 51, 300], 409],
    [[1, 2, 3, 4, 5, 6, 7], 8],
    [[17, 4_000, 4_001, 9_000, 123_456], 200_000],
  ])('finds exactly the bad positions %j of %i, with the rows of everything between them', async (badList, n) => {
    for (const namedErrors of [true, false]) {
      const bad = new Set(badList);
      const { probes, probe, named } = oracle(bad, { named: namedErrors });
      const result = await bisect(0, n, probe, { named: namedErrors ? named : undefined });
      expect(result.bad.map((b) => b.at)).toEqual(badList);
      // The good ranges and the bad positions partition [0, n), in order.
      const pieces = [...result.good.map((g) => [g.from, g.to]), ...result.bad.map((b) => [b.at, b.at + 1])].sort((x, y) => x[0]! - y[0]!);
      expect(pieces[0]![0]).toBe(0);
      for (let i = 1; i < pieces.length; i++) expect(pieces[i]![0]).toBe(pieces[i - 1]![1]);
      expect(pieces.at(-1)![1]).toBe(n);
      expect(result.good.reduce((sum, g) => sum + g.rows, 0)).toBe((n - bad.size) * 10);
      // O(k log n) probes; about 2k + 1 when the errors name their block.
      const k = bad.size;
      const bound = namedErrors ? 2 * k + 1 : 1 + 2 * k * Math.ceil(Math.log2(n));
      expect(probes.length).toBeLessThanOrEqual(bound);
    }
  });

  it('when a failed probe had read everything before the block it names, that prefix is only counted: k + 1 probes and k counts', async () => {
    const bad = [17, 4_000, 4_001, 9_000];
    const { probes, probe, named } = oracle(new Set(bad));
    const counts: [number, number][] = [];
    const count = async (from: number, to: number): Promise<Outcome> => {
      counts.push([from, to]);
      return { ok: true, rows: (to - from) * 10 };
    };
    const result = await bisect(0, 10_000, probe, { named, count });
    expect(result.bad.map((b) => b.at)).toEqual(bad);
    expect(result.good.reduce((sum, g) => sum + g.rows, 0)).toBe((10_000 - bad.length) * 10);
    expect(probes).toEqual([[0, 10_000], [18, 10_000], [4_001, 10_000], [4_002, 10_000], [9_001, 10_000]]);
    expect(counts).toEqual([[0, 17], [18, 4_000], [4_002, 9_000]]);
  });

  it('a range named whole by its error is halved, not probed again for ever', async () => {
    const bad = new Set([3, 4]);
    const probe = async (from: number, to: number): Promise<Outcome> =>
      [...bad].some((b) => b >= from && b < to) ? { ok: false, error: { sqlstate: 'XX001', message: 'x' } } : { ok: true, rows: 1 };
    const result = await bisect(3, 5, probe, { named: () => ({ first: 3, last: 4 }) });
    expect(result.bad.map((b) => b.at)).toEqual([3, 4]);
  });

  it('a timeout splits the range; a single position that times out is unread, not bad', async () => {
    const { probe, named } = oracle(new Set([70]), { named: true, slow: new Set([5]) });
    const notRead = (e: { sqlstate: string | null }) => e.sqlstate === '57014';
    const result = await bisect(0, 100, probe, { named, notRead });
    expect(result.bad.map((b) => b.at)).toEqual([70]);
    expect(result.unread).toEqual([]);
    const stuck = await bisect(0, 4, async (from, to) => (from <= 2 && to > 2 ? { ok: false, error: { sqlstate: '57014', message: 'timeout' } } : { ok: true, rows: 1 }), { notRead });
    expect(stuck.unread.map((u) => u.at)).toEqual([2]);
    expect(stuck.bad).toEqual([]);
  });
});
