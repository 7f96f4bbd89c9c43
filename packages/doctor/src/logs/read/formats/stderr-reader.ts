import type { StatsRecorder } from '../read-stats.js';
import type { FormatReader } from './format-reader.js';
import type { PayloadReader } from './payload-reader.js';
import type { RecordAssembler } from './record-assembler.js';

/**
 * stderr logs (the logging collector's or a redirect's): a line is a record's first line or a folded
 * DETAIL/HINT/… line when it starts with the prefix and a severity, and a continuation of the line before when it
 * starts with TAB (PostgreSQL puts one after every newline of a message) or other white space (a log whose TABs
 * were turned into spaces). Any other line is not PostgreSQL's (pg_ctl's output, another program's, another
 * format mixed in): skipped and counted, never glued to a record.
 */
export class StderrReader implements FormatReader {
  private line = 0;
  private idles = 0;

  constructor(
    private readonly payload: PayloadReader,
    private readonly assembler: RecordAssembler,
    private readonly recorder: StatsRecorder,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    // The hot loop of the common format, written out (eachLine's callback cost 5% here, measured).
    const first = this.line;
    let line = first;
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl === -1 || nl >= end) nl = end;
      let to = nl;
      if (to > pos && buf[to - 1] === 13) to--;
      line++;
      if (to === pos) this.recorder.skip('empty');
      else if (buf[pos] === 9) {
        if (!this.assembler.continueLast(buf.toString('utf8', pos + 1, to), '\n')) this.recorder.skip('unparsed');
      } else {
        // The TAB lines right after a line are its message's next lines (PostgreSQL writes a message in one
        // piece): decode them with it, as one string, instead of one string and two concatenations per line.
        let groupEnd = nl;
        let extra = 0;
        while (groupEnd + 1 < end && buf[groupEnd + 1] === 9) {
          let next = buf.indexOf(10, groupEnd + 1);
          if (next === -1 || next >= end) next = end;
          groupEnd = next;
          extra++;
        }
        if (extra === 0) {
          const text = buf.toString('utf8', pos, to);
          if (!this.payload.read(text, line)) this.other(text);
        } else {
          const groupTo = groupEnd > pos && buf[groupEnd - 1] === 13 ? groupEnd - 1 : groupEnd;
          if (this.payload.read(buf.toString('utf8', pos, groupTo), line, undefined, extra + 1)) {
            line += extra;
            nl = groupEnd;
          } else this.other(buf.toString('utf8', pos, to)); // not a log line: its TAB lines go one by one
        }
      }
      pos = nl + 1;
    }
    this.line = line;
    this.idles = 0;
    this.recorder.lines(line - first);
    if (cut) this.recorder.cut();
    this.assembler.flush(line);
  }

  /** The latest record may still get lines; it waits one more quiet poll. */
  idle(): void {
    this.assembler.flush(this.line, true, this.idles++ === 0);
  }

  end(): void {
    this.assembler.flush(this.line, true);
  }

  private other(text: string): void {
    const code = text.charCodeAt(0);
    if ((code === 32 || code === 11 || code === 12) && this.assembler.continueLast(text, '\n')) return;
    this.recorder.skip('unparsed');
    this.assembler.breakContinuation();
  }
}
