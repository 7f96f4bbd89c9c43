import { describe, expect, it } from 'vitest';
import { captureOpening, openingOf, type Opening } from './origin.js';

const options = { frames: 10, root: process.cwd(), ignoreFile: undefined };

function openHere() {
  return captureOpening(openHere, options);
}

describe('origin', () => {
  it('names the caller file:line (source-mapped, relative to the root)', () => {
    const opening = openHere(); const line = 12; // this line
    expect(opening.origin).toBe(`packages/pg/src/origin.test.ts:${line}`);
    expect(opening.stack()).toContain('origin.test.ts:12');
  });

  it('gives the same origin from the cache on the next call at the same site', () => {
    const origins = [1, 2, 3].map(() => openHere().origin);
    expect(new Set(origins).size).toBe(1);
    expect(origins[0]).toMatch(/origin\.test\.ts:\d+$/);
  });

  it('tells call sites apart, also on one line, and keeps each one its own origin', () => {
    const [a, b] = [openHere(), openHere()]; // two call sites on one line
    const c = openHere(); // the next line
    expect(a.origin).toBe(b.origin);
    expect(c.origin).toBe(a.origin.replace(/:\d+$/, `:${Number(a.origin.split(':').pop()) + 1}`));
    for (let round = 0; round < 3; round++) expect([openHere().origin, openHere().origin]).toEqual([openHere().origin, openHere().origin]);
  });

  it('follows a change of the origin root', () => {
    const openWithRoot = (root: string) => captureOpening(openWithRoot, { ...options, root });
    // One call site, three roots: the cached origin must not outlive the root it was made for.
    const [here, elsewhere, back] = [process.cwd(), `${process.cwd()}/packages`, process.cwd()].map((root) => openWithRoot(root).origin);
    expect(here).toMatch(/^packages\/pg\/src\/origin\.test\.ts:\d+$/);
    expect(elsewhere).toBe(here?.replace(/^packages\//, ''));
    expect(back).toBe(here);
  });

  it('formats the full opening stack only when asked, and the same way every time', () => {
    const opening = openHere();
    expect(opening.stack()).toMatch(/origin\.test\.ts:\d+/);
    expect(opening.stack()).toBe(opening.stack());
  });

  it('skips frames the app asks to skip (its own helper)', () => {
    const helper = () => captureOpening(helper, { ...options, ignoreFile: (path) => path.endsWith('origin.test.ts') });
    expect(helper().origin).not.toContain('origin.test.ts');
  });

  it('gives a call path seen before its opening back, and tells two callers of one call site apart', () => {
    const helper = () => captureOpening(helper, options); // stands for withTransaction
    const site = () => helper(); // the call site, and below two callers of it
    const viaA = () => site();
    const viaB = () => site();
    const a = viaA();
    const again = [1, 2].map(() => viaA())[1];
    const b = viaB();
    expect(again).toBe(a); // the same object: nothing is made per transaction on a known path
    expect(b).not.toBe(a);
    expect(b.origin).toBe(a.origin);
    // Each path's own caller is in its stack, right below the call site.
    const secondFrame = (stack: string) => stack.split('\n').filter((line) => line.includes(' at '))[1];
    expect(secondFrame(a.stack())).toMatch(/viaA/);
    expect(secondFrame(b.stack())).toMatch(/viaB/);
  });

  it('gives the opening stack the configured depth', () => {
    const frames = (depth: number) => {
      const deep = (n: number): ReturnType<typeof captureOpening> => (n === 0 ? captureOpening(deep, { ...options, frames: depth }) : deep(n - 1));
      return deep(12).stack().split('\n').filter((line) => line.includes(' at ')).length;
    };
    expect([frames(1), frames(2), frames(5), frames(10)]).toEqual([1, 2, 5, 10]);
  });

  describe('by the callback run (openingOf)', () => {
    // Stands for withTransaction: the origin is its caller's line.
    const tx = (fn: () => unknown): Opening => openingOf(fn, tx, options);
    const lineOf = (opening: Opening): number => Number(opening.origin.split(':').pop());

    it('names the call site, and after the first calls gives a seen callback its opening back without a capture', () => {
      const openings = Array.from({ length: 40 }, () => tx(() => 'inline at one site'));
      expect(new Set(openings.map((o) => o.origin)).size).toBe(1);
      expect(openings[0]!.origin).toMatch(/origin\.test\.ts:\d+$/);
      // Calls 10 to 31 are not captured: the very opening of the first call comes back.
      expect(openings.slice(9, 31).every((o) => o === openings[0])).toBe(true);
    });

    it('gives one text at two call sites each its own origin once it has seen both (checked: the first calls, then 1 in 128)', () => {
      const same = () => () => 'the same text';
      const atA = (): Opening => tx(same());
      const atB = (): Opening => tx(same());
      const a = Array.from({ length: 300 }, atA);
      const b = Array.from({ length: 140 }, atB);
      expect(new Set(a.map((o) => o.origin)).size).toBe(1);
      // Within one check period B is found out; from then on every call of the text is captured.
      const firstOwn = b.findIndex((o) => o.origin !== a[0]!.origin);
      expect(firstOwn).toBeGreaterThanOrEqual(0);
      expect(firstOwn).toBeLessThan(128);
      expect(b.slice(firstOwn).every((o) => lineOf(o) === lineOf(b[firstOwn]!))).toBe(true);
      expect(lineOf(atA())).toBe(lineOf(a[0]!));
    });

    it('keeps texts of one length apart (found by length, then compared)', () => {
      const atA = (): Opening => tx(() => 'text aaaa');
      const atB = (): Opening => tx(() => 'text bbbb');
      const a = Array.from({ length: 20 }, atA);
      const b = Array.from({ length: 20 }, atB);
      expect(lineOf(a[0]!)).not.toBe(lineOf(b[0]!));
      // Past the first calls both come back from the cache, each its own.
      expect(a.slice(9).every((o) => o === a[0])).toBe(true);
      expect(b.slice(9).every((o) => o === b[0])).toBe(true);
      expect(atA()).toBe(a[0]);
    });

    it('captures every call of a bound function (their texts are all alike)', () => {
      function work(this: unknown): string {
        return 'bound';
      }
      const bound = () => tx(work.bind(null));
      const first = bound();
      const later = Array.from({ length: 20 }, bound);
      expect(later.some((o) => o === first)).toBe(false);
      expect(later.every((o) => o.origin === first.origin)).toBe(true);
    });

    it('captures nothing with stackFrames 0', () => {
      expect(openingOf(() => 1, tx, { ...options, frames: 0 }).origin).toBe('unknown:0');
    });
  });
});
