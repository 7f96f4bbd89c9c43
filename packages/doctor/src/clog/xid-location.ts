import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_BLOCK_SIZE, ID_SPACE, low32, pageInSegment, segmentName, segmentOf, slruGeometry } from './slru.js';

/** The two status bits of a transaction in pg_xact (clog.h TRANSACTION_STATUS_*). */
export type XactStatus = 'in progress' | 'committed' | 'aborted' | 'sub-committed';

const STATUS: readonly XactStatus[] = ['in progress', 'committed', 'aborted', 'sub-committed'];

/** Where the commit status of one transaction lives. */
export interface XidLocation {
  /** The 32-bit XID, as error messages print it. */
  xid: number;
  /** epoch * 2^32 + xid, when the epoch is known (given, or taken from the next XID). */
  fullXid?: number;
  epoch?: number;
  /** Segment file name, "%04X" of xid >> 20 (at 8 KiB pages). */
  segment: string;
  /** Relative to the data directory, e.g. "pg_xact/03E4". */
  file: string;
  /** Byte offset in the segment file: (xid & 0xFFFFF) >> 2. */
  offset: number;
  /** Page of the segment (0-31) that holds that byte. */
  page: number;
  /** The status bits are (byte >> shift) & 3, shift = (xid % 4) * 2. */
  shift: number;
}

/** A transaction ID as a person or a log gives it: "727", a 64-bit "4294968023", or "epoch:xid" as pg_controldata prints it. */
export interface ParsedXid {
  xid: number;
  fullXid?: number;
}

export function parseXid(text: string): ParsedXid {
  const value = text.trim();
  const pair = /^(\d+):(\d+)$/.exec(value);
  if (pair) {
    const epoch = Number(pair[1]);
    const xid = Number(pair[2]);
    if (xid >= ID_SPACE) throw new DoctorError('usage', `"${text}": the XID after the epoch must be below 2^32`);
    return { xid, fullXid: epoch * ID_SPACE + xid };
  }
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new DoctorError('usage', `"${text}" is not a transaction ID (expected a number, 64-bit or not, or epoch:xid)`);
  }
  const n = Number(value);
  return n >= ID_SPACE ? { xid: low32(n), fullXid: n } : { xid: n };
}

/**
 * The full (64-bit) XID of a 32-bit one, as the server resolves it: the newest XID with those low bits that is
 * not after `nextFullXid` (XIDs in use are always within 2^31 before the next one).
 */
export function fullXidNear(xid: number, nextFullXid: number): number {
  return nextFullXid - ((low32(nextFullXid) - low32(xid) + ID_SPACE) % ID_SPACE);
}

/** Where `xid` has its status; the epoch comes from the ID itself or from `nextFullXid`. */
export function locateXid(id: ParsedXid | number, options: { nextFullXid?: number; blockSize?: number } = {}): XidLocation {
  const parsed = typeof id === 'number' ? (id >= ID_SPACE ? { xid: low32(id), fullXid: id } : { xid: id }) : id;
  const g = slruGeometry('pg_xact', options.blockSize ?? DEFAULT_BLOCK_SIZE);
  const xid = parsed.xid;
  const fullXid = parsed.fullXid ?? (options.nextFullXid === undefined ? undefined : fullXidNear(xid, options.nextFullXid));
  const segment = segmentName(segmentOf(g, xid));
  return {
    xid,
    ...(fullXid === undefined ? {} : { fullXid, epoch: Math.floor(fullXid / ID_SPACE) }),
    segment,
    file: `pg_xact/${segment}`,
    offset: Math.floor((xid % g.perSegment) / 4),
    page: pageInSegment(g, xid),
    shift: (xid % 4) * 2,
  };
}

/** The status the byte holding a transaction's bits says. */
export function statusInByte(byte: number, shift: number): XactStatus {
  return STATUS[(byte >> shift) & 3]!;
}
