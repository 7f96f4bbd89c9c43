/** A tuple's address: block and line pointer (offset 1 is the first tuple of a page; 0 sorts before every tuple). */
export interface Tid {
  block: number;
  offset: number;
}

/**
 * How rows are addressed by position: a TID Range Scan (`ctid >= … AND ctid < …`, PostgreSQL 14+) reads only the
 * blocks in the range; before 14, a TID Scan of every ctid the range can hold (`ctid = ANY(…)`) does the same.
 */
export type TidMethod = 'tid-range' | 'tid-list';

export function tidText({ block, offset }: Tid): string {
  return `(${block},${offset})`;
}

/** MaxHeapTuplesPerPage: (BLCKSZ - page header) / (MAXALIGN(tuple header) + line pointer), 291 for 8 kB pages. */
export function maxTuplesPerPage(blockSize: number): number {
  return Math.floor((blockSize - 24) / (24 + 4));
}

/** Blocks one TID list covers at most: 1,024 x 291 ctids is a 1.8 MB array the server builds per probe. */
export const TID_LIST_BLOCKS = 1024;

/**
 * The WHERE condition for the rows of `[from, to)` of the relation aliased `r`. Only numbers are interpolated.
 * Both forms have the planner read just those blocks: callers check the plan once (see scanPlanUses).
 */
export function tidCondition(method: TidMethod, from: Tid, to: Tid, maxOffset: number): string {
  const lo = `'${tidText(from)}'::tid`;
  const hi = `'${tidText(to)}'::tid`;
  if (method === 'tid-range') return `r.ctid >= ${lo} AND r.ctid < ${hi}`;
  const lastBlock = to.offset === 0 ? to.block - 1 : to.block;
  return (
    `r.ctid = ANY (ARRAY(SELECT format('(%s,%s)', b, o)::tid FROM generate_series(${from.block}, ${lastBlock}) AS b, ` +
    `generate_series(1, ${maxOffset}) AS o WHERE (b, o) >= (${from.block}, ${from.offset}) AND (b, o) < (${to.block}, ${to.offset})))`
  );
}

/** The plan node each method must get: anything else (a Seq Scan with a filter) would read the whole table. */
export function planNodeOf(method: TidMethod): string {
  return method === 'tid-range' ? 'Tid Range Scan' : 'Tid Scan';
}
