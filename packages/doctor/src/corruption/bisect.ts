import type { ReadError } from './read-error.js';

/** What one probe of the positions [from, to) gave: every row read, or the error that stopped it. */
export type Outcome = { ok: true; rows: number } | { ok: false; error: ReadError };

export interface Bisection {
  /** Ranges read whole, in order, with their rows. With `bad` and `unread` they partition the range bisected. */
  good: { from: number; to: number; rows: number }[];
  /** Single positions that fail on their own, with their error. */
  bad: { at: number; error: ReadError }[];
  /** Single positions that could not be read in time: not known to be bad. */
  unread: { at: number; error: ReadError }[];
}

export interface BisectOptions {
  /**
   * The positions (first and last) an error names, so a failed range is split around them instead of in halves:
   * a checksum or read error names its block, which turns O(k log n) probes for k bad blocks into about 2k + 1.
   */
  named?: (error: ReadError) => { first: number; last: number } | undefined;
  /** An error that says nothing about the positions (a statement timeout): split further, never call one bad for it. */
  notRead?: (error: ReadError) => boolean;
  /**
   * When the probe that failed had already read every position before the first one its error names (reads in
   * order, one block at a time), those positions need not be read again: `count` only counts their rows, which costs
   * far less than a probe. Absent: they are probed like any other range.
   */
  count?: (from: number, to: number) => Promise<Outcome>;
}

/**
 * Find every position of [from, to) that cannot be read, one probe per range: a range that reads is done, one that
 * fails is split (around the positions its error names, else in halves) down to single positions. Probes run one at
 * a time, in position order, so the results come out sorted.
 */
export async function bisect(from: number, to: number, probe: (from: number, to: number) => Promise<Outcome>, options: BisectOptions = {}): Promise<Bisection> {
  const result: Bisection = { good: [], bad: [], unread: [] };
  const visit = async (a: number, b: number, known?: Outcome): Promise<void> => {
    if (a >= b) return;
    const outcome = known ?? (await probe(a, b));
    if (outcome.ok) {
      result.good.push({ from: a, to: b, rows: outcome.rows });
      return;
    }
    const { error } = outcome;
    const notRead = options.notRead?.(error) ?? false;
    if (b - a === 1) {
      (notRead ? result.unread : result.bad).push({ at: a, error });
      return;
    }
    const named = notRead ? undefined : options.named?.(error);
    if (named) {
      const first = Math.max(a, named.first);
      const last = Math.min(b - 1, named.last);
      // A name that covers the whole range (or misses it) tells nothing new: halve instead, or it would loop.
      if (first <= last && !(first === a && last === b - 1)) {
        const counted = options.count && first > a ? await options.count(a, first) : undefined;
        // A count that fails (the block changed since) falls back to a probe of the range.
        await visit(a, first, counted?.ok ? counted : undefined);
        // One named block is bad on the error's word; several named are split to find which.
        if (first === last) result.bad.push({ at: first, error });
        else await visit(first, last + 1);
        await visit(last + 1, b);
        return;
      }
    }
    const middle = a + Math.floor((b - a) / 2);
    await visit(a, middle);
    await visit(middle, b);
  };
  await visit(from, to);
  return result;
}
