import type { SlruDir } from './slru.js';

/** Bytes read from the end of each segment file: enough to tell whether IDs ran to its end. */
export const TAIL_BYTES = 256;

/** One segment file as found on disk. */
export interface SegmentFile {
  name: string;
  size: number;
  /** Its last TAIL_BYTES bytes (all of it when smaller). */
  tail: Uint8Array;
}

/** The counters of the last checkpoint (the last restartpoint on a standby): what the files on disk are current to. */
export interface CheckpointCounters {
  /** NextXID with its epoch: epoch * 2^32 + xid. */
  nextXid: number;
  /** oldestXID (32-bit): the cluster's oldest datfrozenxid when the checkpoint was taken. */
  oldestXid: number;
  nextMulti: number;
  nextMultiOffset: number;
  oldestMulti: number;
  /** ISO time of the checkpoint. */
  time?: string;
}

/** What clog check reads, from SQL or from a data directory, before it judges anything. */
export interface ClogInventory {
  blockSize: number;
  inRecovery: boolean;
  checkpoint: CheckpointCounters;
  /** The oldest XID the cluster may still look up: min(datfrozenxid) over SQL, the checkpoint's oldestXID from a data directory. */
  oldestXid: number;
  /** The same for MultiXactIds: min(datminmxid), or the checkpoint's oldestMulti. */
  oldestMulti: number;
  /** The oldest MultiXactId's first member offset, from its pg_multixact/offsets entry; undefined when that file is missing. */
  oldestMultiOffset?: number;
  files: Record<SlruDir, SegmentFile[]>;
  /** The byte holding the status of each XID asked about, when its file has it (undefined otherwise). */
  statusBytes: Map<number, number | undefined>;
}

/** Whether any byte in the tail is set: IDs at the end of the file were used (a status, an offset, a member). */
export function tailUsed(file: SegmentFile): boolean {
  return file.tail.some((b) => b !== 0);
}

/** The first member offset a pg_multixact/offsets entry holds (4 bytes, little-endian). */
export function readOffsetEntry(bytes: Uint8Array | undefined | null): number | undefined {
  if (!bytes || bytes.length < 4) return undefined;
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16)) + bytes[3]! * 2 ** 24;
}
