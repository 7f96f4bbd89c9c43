import type { StatsRecorder } from '../read-stats.js';
import { detectPrefix, hasSeverity } from '../prefix/detect-prefix.js';
import type { FormatReader } from './format-reader.js';
import type { PayloadReader } from './payload-reader.js';
import type { RecordAssembler } from './record-assembler.js';

/** Log lines in a row the prefix must miss before a new prefix is looked for. */
const STRAYS = 32;

/**
 * stderr logs (the logging collector's or a redirect's): a line is a record's first line or a folded
 * DETAIL/HINT/… line when it starts with the prefix and a severity, and a continuation of the line before when it
 * starts with TAB (PostgreSQL puts one after every newline of a message) or other white space (a log whose TABs
 * were turned into spaces). Any other line is not PostgreSQL's (pg_ctl's output, another program's, another
 * format mixed in): skipped and counted, never glued to a record — unless many in a row are log lines with
 * another prefix: then the server's log_line_prefix changed, and the new one is detected and used.
 */
export class StderrReader implements FormatReader {
  private line = 0;
  private idles = 0;
  private scratch = Buffer.alloc(0);
  /** Recent log lines in a row that the prefix did not match. */
  private strays: { text: string; line: number }[] = [];

  constructor(
    private readonly payload: PayloadReader,
    private readonly assembler: RecordAssembler,
    private readonly recorder: StatsRecorder,
    private readonly maxSize: number,
    /** Whether to look for a new prefix when lines stop matching (not when the reader was given one). */
    private readonly redetect: boolean,
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
        // piece): their bytes, without the TABs, become one string with the line's message (see joined).
        let groupEnd = nl;
        let extra = 0;
        while (groupEnd + 1 < end && buf[groupEnd + 1] === 9) {
          let next = buf.indexOf(10, groupEnd + 1);
          if (next === -1 || next >= end) next = end;
          groupEnd = next;
          extra++;
        }
        const text = buf.toString('utf8', pos, to);
        // Whole when the next line is in hand and does not go on with this message (see other()).
        const next = groupEnd + 1 < end ? buf[groupEnd + 1] : 32;
        const whole = next !== 32 && next !== 11 && next !== 12;
        if (extra === 0) {
          if (this.payload.read(text, line, undefined, undefined, whole)) this.strays.length = 0;
          else this.other(text, line);
        } else {
          const lineEnd = nl;
          const more = { lines: extra + 1, message: (prefixLength: number) => this.joined(buf, pos, to, lineEnd, groupEnd, text, prefixLength) };
          if (this.payload.read(text, line, undefined, more, whole)) {
            line += extra;
            nl = groupEnd;
            this.strays.length = 0;
          } else this.other(text, line); // not a log line: its TAB lines go one by one
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

  /**
   * The message of the line at buf[pos, to) (its prefix and severity are `prefixLength` characters of `head`) and
   * of the TAB lines up to `groupEnd`, one "\n" for each "\n\t": copied into a reused buffer and decoded once, to
   * at most maxSize + 1 bytes (the assembler then cuts and counts). Measured: decoding the lines with their TABs
   * and replacing "\n\t" made V8 promote a second string per record and doubled the time on autovacuum logs.
   */
  private joined(buf: Buffer, pos: number, to: number, lineEnd: number, groupEnd: number, head: string, prefixLength: number): string {
    const from = head.length === to - pos ? pos + prefixLength : pos + Buffer.byteLength(head.slice(0, prefixLength));
    const limit = this.maxSize + 1;
    const size = Math.min(limit, to - from + groupEnd - lineEnd);
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
    const scratch = this.scratch;
    let n = buf.copy(scratch, 0, from, Math.min(to, from + limit));
    for (let p = lineEnd + 1; p < groupEnd && n < limit; ) {
      let e = buf.indexOf(10, p);
      if (e === -1 || e > groupEnd) e = groupEnd;
      const le = e > p && buf[e - 1] === 13 ? e - 1 : e;
      scratch[n++] = 10;
      n += buf.copy(scratch, n, p + 1, Math.max(p + 1, Math.min(le, p + 1 + limit - n)));
      p = e + 1;
    }
    return scratch.toString('utf8', 0, n);
  }

  /** The latest record may still get lines; it waits one more quiet poll. */
  idle(): void {
    this.assembler.flush(this.line, true, this.idles++ === 0);
  }

  end(): void {
    this.assembler.flush(this.line, true);
  }

  private other(text: string, line: number): void {
    const code = text.charCodeAt(0);
    if ((code === 32 || code === 11 || code === 12) && this.assembler.continueLast(text, '\n')) return;
    this.recorder.skip('unparsed');
    this.assembler.breakContinuation();
    if (this.redetect && hasSeverity(text)) {
      this.strays.push({ text, line });
      if (this.strays.length >= STRAYS) this.tryNewPrefix();
    }
  }

  /**
   * After STRAYS log lines in a row that the prefix does not match: was log_line_prefix changed (a reload)?
   * A prefix detected from them that matches nearly all takes over, and they are read again with it.
   */
  private tryNewPrefix(): void {
    const strays = this.strays;
    this.strays = [];
    const detected = detectPrefix(strays.map((s) => s.text));
    const prefix = detected.prefix;
    if (!prefix || detected.matched < strays.length * 0.9 || prefix.prefix === this.payload.currentPrefix?.prefix) return;
    this.payload.usePrefix(prefix);
    this.recorder.file.prefix = prefix.prefix;
    this.recorder.warn(`prefix-changed-${strays[0]!.line}`, `log_line_prefix changed at line ${strays[0]!.line}: now "${prefix.prefix}"`);
    let read = 0;
    for (const stray of strays) if (this.payload.read(stray.text, stray.line)) read++;
    this.recorder.unskip('unparsed', read);
  }
}
