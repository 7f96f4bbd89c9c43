import { bisect, type Bisection } from './bisect.js';
import { HeapProber, RelationAbort, type HeapTarget } from './heap-prober.js';
import { isPageError, isTimeout, namedBlocks } from './read-error.js';
import { newRelationScan, type BadBlock, type ReadableRange, type RelationScan } from './scan-report.js';
import { TID_LIST_BLOCKS, tidText, type Tid, type TidMethod } from './tid.js';
import type { Session } from '../connect/safe-session.js';

/** A stretch of the table in ctid order: rows that read, or a position that does not. */
type Piece = { kind: 'good'; from: Tid; to: Tid; rows: number } | { kind: 'gap' };

/**
 * Find every unreadable block of one table, then every unreadable tuple of a block whose page itself reads: probe
 * block ranges and split the ones that fail (see bisect). The result lists the bad blocks with their errors and
 * every ctid range that reads, with its rows: what a salvage copies.
 */
export interface ScanHeapOptions {
  method: TidMethod;
  maxOffset: number;
  /**
   * The server reads a scan's blocks one at a time, in order, and decodes each block's rows before it reads the next
   * (PostgreSQL 16 and older): a probe that fails on block X has then decoded every row before X, so those blocks are
   * only counted again, not decoded. From 17 on, reads are combined and run ahead (read streams, then asynchronous
   * I/O in 18): an error on X can come before the rows of the blocks just before it were decoded.
   */
  readsInOrder: boolean;
  /** Count rows instead of decoding every column (see HeapProber). */
  pagesOnly?: boolean;
}

export async function scanHeap(session: Session, target: HeapTarget, options: ScanHeapOptions): Promise<RelationScan> {
  const started = Date.now();
  const scan = newRelationScan({
    database: target.database,
    relation: target.relation,
    schema: target.schema,
    name: target.name,
    oid: target.oid,
    kind: 'table',
    path: target.path,
    pages: 0,
  });
  const finish = () => {
    scan.duration_ms = Date.now() - started;
    return scan;
  };
  let prober = new HeapProber(session, target, options.method, options.maxOffset, options.pagesOnly);
  try {
    scan.pages = await prober.measure();
    if (scan.pages === 0) return finish();
    if (!(await prober.planFits(scan.pages))) {
      // Should the planner still prefer something else, a TID list may suit it; else the table cannot be probed.
      const fallback = new HeapProber(session, target, 'tid-list', options.maxOffset, options.pagesOnly);
      if (options.method === 'tid-list' || !(await fallback.planFits(scan.pages))) {
        scan.status = 'unverified';
        scan.complete = false;
        scan.notes.push('the planner would not read it by ctid: reading it whole could not tell one block from another');
        return finish();
      }
      scan.notes.push('the planner would not use a TID Range Scan here; read by TID lists instead');
      prober = fallback;
    }
    scan.method = prober.method;
    const pieces = await readBlocks(prober, scan.pages, scan, options.readsInOrder);
    assemble(scan, pieces);
  } catch (error) {
    if (!(error instanceof RelationAbort)) throw error;
    // What was found stays (a bad block is bad); what reads is unknown past the stop, so no ranges are claimed.
    scan.status = 'unverified';
    scan.complete = false;
    scan.notes.push(`the scan stopped: ${error.message}`);
    scan.readable = [];
    scan.rows_readable = 0;
  } finally {
    scan.probes = prober.probes;
  }
  if (scan.unread_blocks.length > 0) scan.complete = false;
  if (scan.blocks.length > 0) scan.status = 'corrupt';
  else if (!scan.complete) scan.status = 'unverified';
  return finish();
}

async function readBlocks(prober: HeapProber, pages: number, scan: RelationScan, readsInOrder: boolean): Promise<Piece[]> {
  const pieces: Piece[] = [];
  const probeBlocks = (a: number, b: number) => prober.probe({ block: a, offset: 0 }, { block: b, offset: 0 });
  const countBlocks = readsInOrder ? (a: number, b: number) => prober.count({ block: a, offset: 0 }, { block: b, offset: 0 }) : undefined;
  const named = (error: Parameters<typeof isPageError>[0]) => (scan.path ? namedBlocks(error, scan.path) : undefined);
  // A TID list holds at most TID_LIST_BLOCKS blocks' worth of ctids; a TID range has no such limit.
  const chunk = prober.method === 'tid-list' ? TID_LIST_BLOCKS : pages;
  for (let start = 0; start < pages; start += chunk) {
    const blocks = await bisect(start, Math.min(pages, start + chunk), probeBlocks, { named, notRead: isTimeout, count: countBlocks });
    for (const piece of await inOrder(prober, blocks, scan)) pieces.push(piece);
  }
  return pieces;
}

/** The block bisection's results in ctid order, with a bad block whose page reads split into its tuples. */
async function inOrder(prober: HeapProber, blocks: Bisection, scan: RelationScan): Promise<Piece[]> {
  type Item = { at: number; piece?: Piece; bad?: Bisection['bad'][number]; unread?: number };
  const items: Item[] = [
    ...blocks.good.map((g) => ({ at: g.from, piece: { kind: 'good', from: { block: g.from, offset: 0 }, to: { block: g.to, offset: 0 }, rows: g.rows } as Piece })),
    ...blocks.bad.map((b) => ({ at: b.at, bad: b })),
    ...blocks.unread.map((u) => ({ at: u.at, unread: u.at })),
  ].sort((x, y) => x.at - y.at);
  const pieces: Piece[] = [];
  for (const item of items) {
    if (item.piece) pieces.push(item.piece);
    else if (item.unread !== undefined) {
      scan.unread_blocks.push(item.unread);
      pieces.push({ kind: 'gap' });
    } else if (item.bad) {
      const { at: block, error } = item.bad;
      if (isPageError(error)) {
        scan.blocks.push({ block, lost: 'page', error });
        pieces.push({ kind: 'gap' });
        continue;
      }
      for (const piece of await readTuples(prober, block, error, scan)) pieces.push(piece);
    }
  }
  return pieces;
}

/** The page reads but something in it does not: find the tuples, offset by offset range. */
async function readTuples(prober: HeapProber, block: number, blockError: BadBlock['error'], scan: RelationScan): Promise<Piece[]> {
  const end = prober.maxOffset + 1;
  const tuples = await bisect(1, end, (a, b) => prober.probe({ block, offset: a }, { block, offset: b }), { notRead: isTimeout });
  const bad = tuples.bad.map((t) => ({ offset: t.at, error: t.error }));
  if (bad.length > 0 || tuples.unread.length > 0) {
    if (bad.length > 0) scan.blocks.push({ block, lost: 'tuples', error: bad[0]?.error ?? blockError, tuples: bad });
    else scan.unread_blocks.push(block);
  }
  const pieces: Piece[] = [];
  const items: { at: number; good?: (typeof tuples.good)[number] }[] = [
    ...tuples.good.map((good) => ({ at: good.from, good })),
    ...[...tuples.bad, ...tuples.unread].map((t) => ({ at: t.at })),
  ].sort((x, y) => x.at - y.at);
  for (const { good } of items) {
    if (!good) {
      pieces.push({ kind: 'gap' });
      continue;
    }
    const { from, to, rows } = good;
    // Offset 0 holds no tuple: a range from offset 1 starts where the block does, one to the end reaches the next block.
    pieces.push({ kind: 'good', from: { block, offset: from === 1 ? 0 : from }, to: to === end ? { block: block + 1, offset: 0 } : { block, offset: to }, rows });
  }
  return pieces;
}

/** Adjacent good pieces become one readable range; the gaps between them are the bad blocks and tuples. */
function assemble(scan: RelationScan, pieces: Piece[]): void {
  const ranges: { from: Tid; to: Tid; rows: number }[] = [];
  let open: { from: Tid; to: Tid; rows: number } | undefined;
  for (const piece of pieces) {
    if (piece.kind === 'gap') {
      if (open) ranges.push(open);
      open = undefined;
    } else if (open && open.to.block === piece.from.block && open.to.offset === piece.from.offset) {
      open.to = piece.to;
      open.rows += piece.rows;
    } else {
      if (open) ranges.push(open);
      open = { ...piece };
    }
  }
  if (open) ranges.push(open);
  scan.readable = ranges.map((r): ReadableRange => ({ from: tidText(r.from), to: tidText(r.to), rows: r.rows }));
  scan.rows_readable = ranges.reduce((n, r) => n + r.rows, 0);
}
