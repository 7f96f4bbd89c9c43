/**
 * Wasted space in a heap or a B-tree index, estimated from the statistics alone (no extension, no scan): the size
 * the live rows would need, packed as PostgreSQL packs them at the relation's fillfactor, against the size on disk.
 * The idea is the one of the well-known bloat queries (the PostgreSQL wiki's, check_postgres's, ioguix's); this is
 * our own arithmetic, with two inputs chosen for a table that has changed since it was last analyzed:
 * - the size is the current one (pg_relation_size), not relpages, which only VACUUM and ANALYZE update;
 * - the row count is the live-tuple counter of the statistics, which every INSERT, UPDATE and DELETE keeps current,
 *   and only the widths come from pg_stats (the last ANALYZE).
 * Page layout (bufpage.h, htup_details.h, itup.h, nbtree.h): a 24-byte page header, a 4-byte line pointer per item,
 * items MAXALIGNed; a heap tuple has a 23-byte header plus a null bitmap, MAXALIGNed; an index tuple an 8-byte
 * header (12 with nulls); a B-tree page ends with 16 bytes of special space and its leaves are filled to 90 %.
 */

/** One column as it is stored: pg_attribute's attlen and attalign, and pg_stats' avg_width and null_frac. */
export interface StoredColumn {
  /** attlen: the fixed width, or -1 (varlena), -2 (cstring). */
  len: number;
  /** attalign: c, s, i or d. */
  align: string;
  /** pg_stats.avg_width; null when the column has no statistics. */
  width: number | null;
  /** pg_stats.null_frac; null when the column has no statistics. */
  nullFrac: number | null;
}

export interface RelationShape {
  kind: 'table' | 'index';
  /** Bytes on disk (main fork). */
  bytes: number;
  blockSize: number;
  /** Live rows (tables) or entries (indexes) the relation should hold. */
  tuples: number;
  /** The relation's fillfactor, else the default: 100 for a heap, 90 for a B-tree. */
  fillfactor: number;
  columns: StoredColumn[];
}

export interface BloatEstimate {
  /** Bytes the live rows would need, packed at the fillfactor. */
  expectedBytes: number;
  /** Bytes on disk beyond that (never negative). */
  wastedBytes: number;
  /** wastedBytes over the size on disk, 0–100. */
  wastedPercent: number;
  /** The average stored width of one row or entry, line pointer included. */
  tupleBytes: number;
}

const MAXALIGN = 8;
const PAGE_HEADER = 24;
const LINE_POINTER = 4;
const HEAP_TUPLE_HEADER = 23;
const INDEX_TUPLE_HEADER = 8;
/** An index tuple with a null carries a bitmap sized for INDEX_MAX_KEYS (32 bits). */
const INDEX_NULL_BITMAP = 4;
const BTREE_SPECIAL = 16;
/** B-tree internal pages are filled to 70 % (BTREE_NONLEAF_FILLFACTOR). */
const BTREE_NONLEAF_FILL = 0.7;
/** MaxHeapTuplesPerPage for 8 kB pages: a page never holds more line pointers. */
const MAX_HEAP_TUPLES_8K = 291;

const ALIGNMENT: Record<string, number> = { c: 1, s: 2, i: 4, d: 8 };

/** The estimate, or undefined when a column has no statistics to take its width from (ANALYZE the table). */
export function estimateBloat(shape: RelationShape): BloatEstimate | undefined {
  const data = dataWidth(shape.columns);
  if (data === undefined || shape.bytes <= 0 || shape.blockSize <= 0) return undefined;
  const mayBeNull = shape.columns.some((c) => (c.nullFrac ?? 0) > 0);
  const ff = Math.min(Math.max(shape.fillfactor, 10), 100) / 100;
  const tuples = Math.max(shape.tuples, 0);
  let expectedPages: number;
  let tupleBytes: number;
  if (shape.kind === 'table') {
    const header = alignUp(HEAP_TUPLE_HEADER + (mayBeNull ? Math.ceil(shape.columns.length / 8) : 0), MAXALIGN);
    tupleBytes = alignUp(header + data, MAXALIGN) + LINE_POINTER;
    const room = (shape.blockSize - PAGE_HEADER) * ff;
    const perPage = Math.max(1, Math.min(Math.floor(room / tupleBytes), Math.floor((MAX_HEAP_TUPLES_8K * shape.blockSize) / 8192)));
    expectedPages = Math.ceil(tuples / perPage);
  } else {
    const header = INDEX_TUPLE_HEADER + (mayBeNull ? INDEX_NULL_BITMAP : 0);
    tupleBytes = alignUp(header + data, MAXALIGN) + LINE_POINTER;
    const usable = shape.blockSize - PAGE_HEADER - BTREE_SPECIAL;
    const leafPerPage = Math.max(1, Math.floor((usable * ff) / tupleBytes));
    const leaves = Math.ceil(tuples / leafPerPage);
    // One downlink per page of the level below, up to the root; plus the metapage.
    const fanout = Math.max(2, Math.floor((usable * BTREE_NONLEAF_FILL) / tupleBytes));
    let internal = 0;
    for (let level = leaves; level > 1; level = Math.ceil(level / fanout)) internal += Math.ceil(level / fanout);
    expectedPages = 1 + Math.max(leaves, 1) + internal;
  }
  const expectedBytes = expectedPages * shape.blockSize;
  const wastedBytes = Math.max(0, shape.bytes - expectedBytes);
  return { expectedBytes, wastedBytes, wastedPercent: (100 * wastedBytes) / shape.bytes, tupleBytes };
}

/**
 * The average bytes of a row's data. The padding before each column is the one of the row with every column present
 * (a null takes no space, and neither does its padding), and each column counts as often as it is not null. A
 * varlena value under 127 bytes has a 1-byte header and is not aligned.
 */
function dataWidth(columns: StoredColumn[]): number | undefined {
  let offset = 0;
  let average = 0;
  for (const c of columns) {
    const width = c.len > 0 ? c.len : c.width;
    if (width === null || width === undefined) return undefined;
    const present = 1 - Math.min(Math.max(c.nullFrac ?? 0, 0), 1);
    const padding = c.len > 0 || width > 126 ? alignUp(offset, ALIGNMENT[c.align] ?? 1) - offset : 0;
    offset += padding + width;
    average += present * (padding + width);
  }
  return average;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** fillfactor=N from reloptions, else the access method's default. */
export function fillfactorOf(reloptions: readonly string[] | null | undefined, kind: 'table' | 'index'): number {
  const option = reloptions?.find((o) => o.startsWith('fillfactor='));
  const value = option ? Number(option.slice('fillfactor='.length)) : NaN;
  return Number.isFinite(value) && value > 0 ? value : kind === 'table' ? 100 : 90;
}
