/**
 * The geometry of the three SLRUs whose loss stops reads: the commit log and the two MultiXact logs. Each is a
 * directory of segment files of 32 pages (SLRU_PAGES_PER_SEGMENT), named by segment number in hex ("%04X",
 * so five digits past FFFF), holding a fixed number of entries per page. IDs are 32-bit and wrap.
 */

/** The SLRU directories, relative to the data directory. */
export type SlruDir = 'pg_xact' | 'pg_multixact/offsets' | 'pg_multixact/members';

export const SLRU_DIRS: readonly SlruDir[] = ['pg_xact', 'pg_multixact/offsets', 'pg_multixact/members'];

export const PAGES_PER_SEGMENT = 32;
export const DEFAULT_BLOCK_SIZE = 8192;
/** IDs (XIDs, MultiXactIds, member offsets) are 32-bit counters that wrap. */
export const ID_SPACE = 2 ** 32;

export interface SlruGeometry {
  dir: SlruDir;
  /** What its IDs are, for messages. */
  unit: 'transaction' | 'MultiXactId' | 'member offset';
  blockSize: number;
  /** Entries per page: 4 XIDs per byte (2 status bits each); 4-byte offsets; groups of 4 members in 20 bytes. */
  perPage: number;
  perSegment: number;
  /** Bytes of a full segment: 32 pages (262,144 at 8 KiB). */
  segmentBytes: number;
  /** Segments before the IDs wrap: 4,096 for pg_xact, 65,536 for offsets, 82,041 for members (its last is partial). */
  segmentCount: number;
}

export function slruGeometry(dir: SlruDir, blockSize = DEFAULT_BLOCK_SIZE): SlruGeometry {
  // clog.c CLOG_XACTS_PER_PAGE, multixact.c MULTIXACT_OFFSETS_PER_PAGE and MULTIXACT_MEMBERS_PER_PAGE.
  const perPage = dir === 'pg_xact' ? blockSize * 4 : dir === 'pg_multixact/offsets' ? blockSize / 4 : Math.floor(blockSize / 20) * 4;
  const unit = dir === 'pg_xact' ? 'transaction' : dir === 'pg_multixact/offsets' ? 'MultiXactId' : 'member offset';
  const lastPage = Math.floor((ID_SPACE - 1) / perPage);
  return {
    dir,
    unit,
    blockSize,
    perPage,
    perSegment: perPage * PAGES_PER_SEGMENT,
    segmentBytes: blockSize * PAGES_PER_SEGMENT,
    segmentCount: Math.floor(lastPage / PAGES_PER_SEGMENT) + 1,
  };
}

/** The file name of segment `n`: "%04X", as slru.c's SlruFileName writes it. */
export function segmentName(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** The segment number a file name stands for, or undefined for a name that is not a segment. */
export function parseSegmentName(name: string): number | undefined {
  return /^[0-9A-F]{4,6}$/.test(name) ? Number.parseInt(name, 16) : undefined;
}

/** The 32-bit ID of any ID, full (64-bit, with an epoch) or not. */
export function low32(id: number): number {
  return ((id % ID_SPACE) + ID_SPACE) % ID_SPACE;
}

export function segmentOf(g: SlruGeometry, id: number): number {
  return Math.floor(Math.floor(low32(id) / g.perPage) / PAGES_PER_SEGMENT);
}

/** The page of `id` within its segment (0-31). */
export function pageInSegment(g: SlruGeometry, id: number): number {
  return Math.floor(low32(id) / g.perPage) % PAGES_PER_SEGMENT;
}

/** Whether `id` is the first entry of its page: the server then needs no page for it yet. */
export function firstOfPage(g: SlruGeometry, id: number): boolean {
  return low32(id) % g.perPage === 0;
}

/** First and last ID a segment holds (the last segment of members is partial). */
export function segmentIds(g: SlruGeometry, segment: number): { first: number; last: number } {
  const first = segment * g.perSegment;
  return { first, last: Math.min(first + g.perSegment - 1, ID_SPACE - 1) };
}

/** Segments from the one holding `from` to the one holding `to`, in ID order, across the wrap. */
export function segmentsBetween(g: SlruGeometry, from: number, to: number): number[] {
  const first = segmentOf(g, from);
  const last = segmentOf(g, to);
  const out: number[] = [];
  for (let s = first; ; s = (s + 1) % g.segmentCount) {
    out.push(s);
    if (s === last || out.length >= g.segmentCount) return out;
  }
}

/** IDs from `a` up to `b` (mod 2^32): how far `b` is ahead of `a`. */
export function idDistance(a: number, b: number): number {
  return (low32(b) - low32(a) + ID_SPACE) % ID_SPACE;
}
