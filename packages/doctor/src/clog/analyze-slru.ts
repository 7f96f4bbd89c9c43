import { tailUsed, type SegmentFile } from './inventory.js';
import {
  firstOfPage,
  idDistance,
  low32,
  pageInSegment,
  parseSegmentName,
  segmentIds,
  segmentName,
  segmentOf,
  segmentsBetween,
  type SlruDir,
  type SlruGeometry,
} from './slru.js';

/** A segment file that is absent, or shorter than the IDs it must hold. */
export interface SegmentProblem {
  dir: SlruDir;
  /** Relative to the data directory, e.g. "pg_xact/0000". */
  file: string;
  segment: string;
  kind: 'missing' | 'short';
  /** Bytes on disk (0 when missing). */
  size: number;
  /** Bytes it certainly needs, at least (0 for a gap): the pages up to the last ID known to be in use. */
  neededBytes: number;
  /** Bytes of a whole segment (32 pages). */
  segmentBytes: number;
  /** The 32-bit IDs whose entries are lost, inclusive. */
  firstId: number;
  lastId: number;
  /**
   * True when IDs there were certainly used, so the server fails on the first row that names one; false for a
   * range no ID is known to have reached (a `pg_resetwal -x` jump leaves the same trace as a lost file).
   */
  certain: boolean;
  /** Why it is needed, or why it may not be. */
  why: string;
  /** Segments this entry stands for (consecutive gaps are merged into one entry). */
  segments: number;
}

export interface SlruAnalysis {
  dir: SlruDir;
  unit: SlruGeometry['unit'];
  /** The oldest ID in use and the next one (32-bit, from the checkpoint for the next). */
  oldest: number;
  next: number;
  firstSegment: string;
  lastSegment: string;
  /** Segments from the oldest ID's to the next ID's. */
  segments: number;
  /** Of those, how many have a file. */
  present: number;
  /** Certain problems: these make check exit 2. */
  problems: SegmentProblem[];
  /** Segments absent where no ID is known to have been used: reported, not counted as failures. */
  gaps: SegmentProblem[];
}

/**
 * Judge one SLRU's files against the IDs in use, [oldest, next), next as of the last checkpoint (newer pages may
 * still be in shared memory only). IDs are assigned in order, and pg_resetwal -x only skips forward, so an ID
 * range is certainly used, and its segment needed, when it is:
 * - the oldest ID's own page (datfrozenxid is an XID the server has seen);
 * - the page of the next ID when that is not the first of its page (the server zeroed that page and a
 *   checkpoint wrote it; it reads it again at start);
 * - reached from the segment before, whose last bytes are set (the IDs ran past its end), and so on through a
 *   run of missing segments.
 * - holding a witness: an ID the server failed on (its log) or a person names (--xid).
 * A missing segment after one whose end is unused is only a gap: nothing shows that an ID ever reached it.
 */
export function analyzeSlru(g: SlruGeometry, oldest: number, next: number, files: readonly SegmentFile[], witnesses: readonly number[] = []): SlruAnalysis {
  const bySegment = new Map<number, SegmentFile>();
  for (const f of files) {
    const n = parseSegmentName(f.name);
    if (n !== undefined) bySegment.set(n, f);
  }
  oldest = low32(oldest);
  next = low32(next);
  const hasIds = oldest !== next;
  const range = segmentsBetween(g, oldest, next);
  // A next ID that opens a segment has nothing in use there yet: the range ends with the segment before.
  if (hasIds && range.length > 1 && next % g.perSegment === 0) range.pop();
  const nextSeg = segmentOf(g, next);
  const nextMid = !firstOfPage(g, next);
  const nextPage = pageInSegment(g, next);
  const B = g.blockSize;
  const problems: SegmentProblem[] = [];
  const gaps: SegmentProblem[] = [];
  let present = 0;
  let entered = false; // the IDs certainly ran into this segment from the one before

  range.forEach((s, i) => {
    const isFirst = i === 0 && hasIds;
    const isLast = s === nextSeg; // holds the next ID
    const ids = segmentIds(g, s);
    const usedTo = isLast ? next - 1 : ids.last;
    const usedFrom = isFirst ? oldest : ids.first;
    const file = bySegment.get(s);
    if (isLast && next === ids.first && !isFirst) {
      if (file) present++; // the next ID opens this segment: nothing in it is in use yet
      return;
    }
    const base = { dir: g.dir, file: `${g.dir}/${segmentName(s)}`, segment: segmentName(s), segmentBytes: g.segmentBytes };
    if (!file) {
      const inSegment = witnesses.filter((id) => segmentOf(g, id) === s && idDistance(oldest, id) < idDistance(oldest, next));
      const witness = inSegment[0];
      const byNextPage = isLast && nextMid;
      const certain = entered || isFirst || byNextPage || witness !== undefined;
      const why = isFirst
        ? `it holds the oldest ${g.unit} in use (${oldest})`
        : entered
          ? `the ${g.unit}s before it ran up to its first one`
          : byNextPage
            ? `the next ${g.unit} (${next}) is on page ${nextPage} of it: the server wrote that page at its last checkpoint and reads it at start`
            : witness !== undefined
              ? `${g.unit} ${low32(witness)}, which is in use, has its entry there`
              : `no ${g.unit} is known to have reached it: the segment before ends unused (a pg_resetwal jump leaves this trace)`;
      const from = byNextPage && !entered && !isFirst && witness === undefined ? next - (next % g.perPage) : usedFrom;
      // Pages certainly used, from the first: how long any copy of the file must be.
      const pages = Math.max(
        isFirst ? pageInSegment(g, oldest) + 1 : 0,
        entered ? 1 : 0,
        byNextPage ? nextPage + 1 : isLast && (entered || isFirst) ? nextPage : 0,
        ...inSegment.map((id) => pageInSegment(g, id) + 1),
      );
      const neededBytes = certain ? pages * B : 0;
      (certain ? problems : gaps).push({ ...base, kind: 'missing', size: 0, neededBytes, firstId: from, lastId: usedTo, certain, why, segments: 1 });
      // A run of lost segments is taken as lost throughout; a witness proves only its own segment.
      entered = (entered || isFirst || byNextPage) && !isLast;
      return;
    }
    present++;
    let needed = 0;
    let why = '';
    const need = (bytes: number, reason: string) => {
      if (bytes > needed) {
        needed = bytes;
        why = reason;
      }
    };
    if (isFirst) need((pageInSegment(g, oldest) + 1) * B, `page ${pageInSegment(g, oldest)} holds the oldest ${g.unit} in use (${oldest})`);
    if (entered) need(B, `the ${g.unit}s before it ran into its first page`);
    if (isLast) {
      if (nextMid) need((nextPage + 1) * B, `page ${nextPage} holds the next ${g.unit} (${next}); the server reads it at start`);
      else if (entered || isFirst) need(nextPage * B, `the ${g.unit}s in use run up to page ${nextPage}`);
    } else if (tailUsed(file)) {
      need(g.segmentBytes, `its last bytes are set: the ${g.unit}s ran past its end`);
    }
    if (file.size % B !== 0) need(Math.ceil(file.size / B) * B, 'it ends inside a page: the server reads whole pages');
    if (file.size < needed) {
      const firstLost = ids.first + Math.floor(file.size / B) * g.perPage;
      const lastLost = Math.min(usedTo, ids.first + (needed / B) * g.perPage - 1);
      problems.push({ ...base, kind: 'short', size: file.size, neededBytes: needed, firstId: Math.max(firstLost, usedFrom), lastId: lastLost, certain: true, why, segments: 1 });
    }
    entered = !isLast && file.size === g.segmentBytes && tailUsed(file);
  });

  return {
    dir: g.dir,
    unit: g.unit,
    oldest,
    next,
    firstSegment: segmentName(range[0]!),
    lastSegment: segmentName(range[range.length - 1]!),
    segments: range.length,
    present,
    problems,
    gaps: mergeGaps(gaps),
  };
}

/** Consecutive gaps as one entry (a pg_resetwal jump can skip thousands of segments). */
function mergeGaps(gaps: SegmentProblem[]): SegmentProblem[] {
  const out: SegmentProblem[] = [];
  for (const gap of gaps) {
    const last = out[out.length - 1];
    if (last && last.lastId + 1 === gap.firstId) {
      out[out.length - 1] = { ...last, lastId: gap.lastId, file: `${last.file.split('..')[0]}..${gap.segment}`, segments: last.segments + 1 };
    } else {
      out.push(gap);
    }
  }
  return out;
}
