import type { ByteSource } from './byte-source.js';

/**
 * Whole lines in `buf[start, end)`: every line ends with byte 10 except, at the end of the input, the last one.
 * `cut` marks a block that is the first `maxLine` bytes of a longer line (the rest of that line is dropped).
 * The buffer is reused for the next block: decode what you keep before asking for it.
 */
export interface LineBlock {
  buf: Buffer;
  start: number;
  end: number;
  cut: boolean;
}

/** A block, or "idle": a followed file has nothing new for now. */
export type BlockEvent = LineBlock | 'idle';

export interface LineBlockOptions {
  /** Lines longer than this are cut to it. */
  maxLine: number;
  /** The first block holds at least this many bytes (unless the input is shorter): format detection reads it. */
  firstBlock: number;
  /**
   * Start with a buffer this large and double it while lines need it: a followed log gets a few lines a poll, and
   * the daemon follows one for each cluster (20 full buffers were 100 MB of RSS once written to). Default: full.
   */
  initialBytes?: number;
  onBytes(n: number): void;
}

const READ_SIZE = 4 * 1024 * 1024;

/**
 * Splits an input into blocks of whole lines through one reused buffer: memory stays at the buffer's size
 * whatever the file's size or its longest line.
 */
export async function* lineBlocks(source: ByteSource, options: LineBlockOptions): AsyncGenerator<BlockEvent> {
  const { maxLine, firstBlock } = options;
  const fullSize = Math.max(READ_SIZE, firstBlock) + maxLine + 1;
  let buf = Buffer.allocUnsafe(Math.min(fullSize, options.initialBytes ?? fullSize));
  let fill = 0;
  let discarding = false;
  let first = true;
  for (;;) {
    if (fill === buf.length && buf.length < fullSize) {
      const larger = Buffer.allocUnsafe(Math.min(fullSize, buf.length * 2));
      buf.copy(larger, 0, 0, fill);
      buf = larger;
    }
    const n = await source.read(buf, fill, buf.length - fill);
    if (n > 0) options.onBytes(n);
    const end = fill + Math.max(n, 0);
    let start = 0;
    if (discarding) {
      const nl = end > 0 ? buf.indexOf(10, 0) : -1;
      if (nl === -1 || nl >= end) {
        fill = 0;
        if (n === 0) return;
        if (n === -1) yield 'idle';
        continue;
      }
      start = nl + 1;
      discarding = false;
    }
    if (n > 0 && first && end < firstBlock) {
      fill = end;
      continue;
    }
    first = false;
    if (n === 0) {
      // The end: the whole lines, then the last one without its newline (cut if too long).
      const last = end > start ? buf.lastIndexOf(10, end - 1) : -1;
      if (last >= start) {
        yield { buf, start, end: last + 1, cut: false };
        start = last + 1;
      }
      if (end > start) yield { buf, start, end: Math.min(end, start + maxLine), cut: end - start > maxLine };
      return;
    }
    // lastIndexOf with a negative offset would count from the buffer's end, into stale bytes.
    const last = end > start ? buf.lastIndexOf(10, end - 1) : -1;
    if (last >= start) {
      yield { buf, start, end: last + 1, cut: false };
      start = last + 1;
    }
    if (end - start > maxLine) {
      yield { buf, start, end: start + maxLine, cut: true };
      discarding = true;
      fill = 0;
    } else {
      buf.copyWithin(0, start, end);
      fill = end - start;
    }
    if (n === -1) yield 'idle';
  }
}
