/** Turns the whole lines of one input into records (pushed to the batch the reader shares with it). */
export interface FormatReader {
  /** Whole lines in buf[start, end); `cut` marks the first maxLine bytes of a longer line. */
  block(buf: Buffer, start: number, end: number, cut: boolean): void;
  /** A followed file has nothing new for now: emit what is complete. */
  idle(): void;
  /** End of input: emit everything. */
  end(): void;
}

/**
 * Calls `each(lineStart, lineEnd, lineNumber)` for every line of a block (without its "\n" or "\r\n") and
 * returns how many there were.
 */
export function eachLine(buf: Buffer, start: number, end: number, firstLine: number, each: (from: number, to: number, line: number) => void): number {
  let pos = start;
  let line = firstLine;
  while (pos < end) {
    let nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= end) nl = end;
    let to = nl;
    if (to > pos && buf[to - 1] === 13) to--;
    each(pos, to, line++);
    pos = nl + 1;
  }
  return line - firstLine;
}
