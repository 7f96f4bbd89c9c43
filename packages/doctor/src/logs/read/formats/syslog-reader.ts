import type { StatsRecorder } from '../read-stats.js';
import type { LogTimeParser } from '../time/log-time.js';
import { eachLine, type FormatReader } from './format-reader.js';
import { Pieces } from './pieces.js';
import type { PayloadReader } from './payload-reader.js';
import type { RecordAssembler } from './record-assembler.js';

const HEADER =
  /^(?:([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)) \S+ ([^\s[\]:]+)\[(\d+)\]: (?:\[(\d+)-(\d+)\] )?/;
/** rsyslog's escapes of control characters: "#011" is a TAB. */
const ESCAPED_CONTROL = /#(0[0-3][0-7])/g;

/**
 * syslog/rsyslog: "Feb 10 23:15:39 host postgres[10819]: [7-2] …". PostgreSQL numbers the pieces of each message
 * ([line-piece]); a piece after the first is either a DETAIL/HINT line with its own prefix, a new line of the
 * message, or the next chunk of a line longer than 900 bytes, which joins without a newline (see Pieces).
 * Pieces are joined per pid: syslog interleaves processes.
 */
export class SyslogReader implements FormatReader {
  private line = 0;
  private idles = 0;
  private readonly pieces = new Pieces();

  constructor(
    private readonly payload: PayloadReader,
    private readonly assembler: RecordAssembler,
    private readonly recorder: StatsRecorder,
    private readonly times: LogTimeParser,
    /** The program name of the server's lines (syslog_ident); other programs' lines are foreign. */
    private readonly ident: string,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    const lines = eachLine(buf, start, end, this.line + 1, (from, to, line) => {
      if (to === from) return this.recorder.skip('empty');
      const text = buf.toString('utf8', from, to);
      const m = HEADER.exec(text);
      if (!m) {
        this.recorder.skip('unparsed');
        return;
      }
      if (m[3] !== this.ident) return this.recorder.skip('foreign');
      let body = text.slice(m[0].length);
      if (body.includes('#0')) body = body.replace(ESCAPED_CONTROL, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
      const pid = Number(m[4]);
      const time = m[1] ? this.times.parseSyslog(m[1]) : this.times.parse(m[2]!);
      const bytes = to - from - m[0].length;
      if (this.payload.read(body, line, { pid, time })) return this.pieces.note(pid, bytes);
      const piece = m[6] ? Number(m[6]) : 1;
      if (piece > 1 || body.startsWith('\t')) {
        const [rest, separator] = this.pieces.join(pid, body, bytes);
        if (this.assembler.continueProcess(pid, rest, separator, line)) return;
      }
      this.recorder.skip('unparsed');
    });
    this.line += lines;
    this.idles = 0;
    this.recorder.lines(lines);
    if (cut) this.recorder.cut();
    this.assembler.flush(this.line);
  }

  idle(): void {
    this.assembler.flush(this.line, true, this.idles++ === 0);
  }

  end(): void {
    this.assembler.flush(this.line, true);
  }
}

/** The program name most lines of a syslog sample carry. */
export function syslogIdent(lines: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const ident = HEADER.exec(line)?.[3];
    if (ident) counts.set(ident, (counts.get(ident) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'postgres';
}

/** The text after the syslog header, for prefix detection. */
export function syslogPayload(line: string): string | undefined {
  const m = HEADER.exec(line);
  return m ? line.slice(m[0].length) : undefined;
}
