import type { StatsRecorder } from '../read-stats.js';
import type { LogTimeParser } from '../time/log-time.js';
import { eachLine, type FormatReader } from './format-reader.js';
import { Pieces } from './pieces.js';
import type { PayloadReader } from './payload-reader.js';
import type { RecordAssembler } from './record-assembler.js';

// The drain form puts the drain's token before the source and no colon after it.
const HEADER = /^(\S+) (?:d\.[\w-]+ )?app\[postgres(?:\.(\d+))?\]:? (?:\[[A-Za-z0-9_]+\] )?(?:\[(\d+)-(\d+)\] )?/;
const OTHER_SOURCE = /^\S+ (?:d\.[\w-]+ )?(?:app|heroku)\[[^\]]*\]:? /;

/**
 * Heroku logplex: "2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-2] <prefix>DETAIL: …". Like
 * syslog, PostgreSQL numbers the pieces of a message per process; other sources of the drain (router, web
 * dynos, heroku-postgres metrics) are foreign.
 */
export class LogplexReader implements FormatReader {
  private line = 0;
  private idles = 0;
  private readonly pieces = new Pieces();

  constructor(
    private readonly payload: PayloadReader,
    private readonly assembler: RecordAssembler,
    private readonly recorder: StatsRecorder,
    private readonly times: LogTimeParser,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    const lines = eachLine(buf, start, end, this.line + 1, (from, to, line) => {
      if (to === from) return this.recorder.skip('empty');
      const text = buf.toString('utf8', from, to);
      const m = HEADER.exec(text);
      if (!m) return this.recorder.skip(OTHER_SOURCE.test(text) ? 'foreign' : 'unparsed');
      const body = text.slice(m[0].length);
      const pid = m[2] ? Number(m[2]) : undefined;
      if (this.payload.read(body, line, { pid, time: this.times.parse(m[1]!) })) return this.pieces.note(pid ?? 0, to - from - m[0].length);
      const piece = m[4] ? Number(m[4]) : 1;
      const newLine = body.startsWith('\t');
      if (piece === 1 && !newLine) return this.recorder.skip('unparsed');
      const [rest, separator] = this.pieces.join(pid ?? 0, body, to - from - m[0].length);
      const joined = pid !== undefined ? this.assembler.continueProcess(pid, rest, separator, line) : this.assembler.continueLast(rest, separator);
      if (!joined) this.recorder.skip('unparsed');
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

/** The text after the logplex header, for prefix detection. */
export function logplexPayload(line: string): string | undefined {
  const m = HEADER.exec(line);
  return m ? line.slice(m[0].length) : undefined;
}
