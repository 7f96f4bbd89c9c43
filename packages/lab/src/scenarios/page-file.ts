import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** PostgreSQL's default page size; the lab never initdb's another. */
export const BLOCK_SIZE = 8192;
/** A relation file holds 1 GB of blocks; block N lives in segment N / this, at (N % this) * BLOCK_SIZE. */
const BLOCKS_PER_SEGMENT = (1024 * 1024 * 1024) / BLOCK_SIZE;

function locate(file: string, block: number): { path: string; offset: number } {
  const segment = Math.floor(block / BLOCKS_PER_SEGMENT);
  return { path: segment === 0 ? file : `${file}.${segment}`, offset: (block % BLOCKS_PER_SEGMENT) * BLOCK_SIZE };
}

/**
 * Overwrite `bytes` bytes in the middle of one block of a stopped cluster's relation file: inside the page's
 * contents, not its header, so the checksum (when the cluster has them) no longer matches what is there.
 */
export function damageBlock(file: string, block: number, bytes = 64): void {
  const { path, offset } = locate(file, block);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(bytes, 0x5a), 0, bytes, offset + BLOCK_SIZE / 2 - bytes / 2);
  } finally {
    closeSync(fd);
  }
}

export function readBlock(file: string, block: number): Buffer {
  const { path, offset } = locate(file, block);
  const fd = openSync(path, 'r');
  try {
    const page = Buffer.alloc(BLOCK_SIZE);
    readSync(fd, page, 0, BLOCK_SIZE, offset);
    return page;
  } finally {
    closeSync(fd);
  }
}

export function writeBlock(file: string, block: number, page: Buffer): void {
  const { path, offset } = locate(file, block);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, page, 0, BLOCK_SIZE, offset);
  } finally {
    closeSync(fd);
  }
}

/** A B-tree page's special space (the last 16 bytes): btpo_level 0 with BTP_LEAF set is a leaf. */
export function isBtreeLeaf(page: Buffer): boolean {
  const special = BLOCK_SIZE - 16;
  return page.readUInt32LE(special + 8) === 0 && (page.readUInt16LE(special + 12) & 1) === 1;
}

/** Where a tuple's data starts in its page, from its line pointer (offsets count from 1); undefined for an unused one. */
export function tupleData(page: Buffer, offset: number): number | undefined {
  const pointer = page.readUInt32LE(24 + (offset - 1) * 4);
  const lpOff = pointer & 0x7fff;
  const lpFlags = (pointer >>> 15) & 0x3;
  if (lpFlags !== 1 || lpOff === 0) return undefined; // LP_NORMAL only
  return lpOff + page.readUInt8(lpOff + 22); // t_hoff: the header's length, padding included
}
