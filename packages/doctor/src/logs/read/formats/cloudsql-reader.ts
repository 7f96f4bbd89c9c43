import type { StatsRecorder } from '../read-stats.js';
import type { LogTimeParser } from '../time/log-time.js';
import { eachLine, type FormatReader } from './format-reader.js';
import type { PayloadReader } from './payload-reader.js';
import type { RecordAssembler } from './record-assembler.js';

interface CloudEntry {
  textPayload?: unknown;
  timestamp?: unknown;
}

/**
 * A Google Cloud Logging export of a Cloud SQL instance: one JSON entry a line, PostgreSQL's text in
 * "textPayload" (prefix "[%p]: [%l-1] db=%d,user=%u "), the time in "timestamp". Each line of a multi-line
 * message is an entry of its own starting with TAB and without a prefix: it continues the entry before it.
 */
export class CloudSqlReader implements FormatReader {
  private line = 0;
  private idles = 0;

  constructor(
    private readonly payload: PayloadReader,
    private readonly assembler: RecordAssembler,
    private readonly recorder: StatsRecorder,
    private readonly times: LogTimeParser,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    const lines = eachLine(buf, start, end, this.line + 1, (from, to, line) => {
      if (to === from) return this.recorder.skip('empty');
      const entry = parseEntry(buf.toString('utf8', from, to));
      if (!entry) return this.recorder.skip('bad-json');
      if (typeof entry.textPayload !== 'string') return this.recorder.skip('foreign');
      const time = typeof entry.timestamp === 'string' ? this.times.parse(entry.timestamp) : undefined;
      // An entry may hold several lines of text; each is read as a stderr line would be.
      for (const text of entry.textPayload.split('\n')) {
        if (text.startsWith('\t')) {
          if (!this.assembler.continueLast(text.slice(1), '\n')) this.recorder.skip('unparsed');
        } else if (!this.payload.read(text, line, { time }) && !(text.startsWith(' ') && this.assembler.continueLast(text, '\n'))) {
          this.recorder.skip('unparsed');
        }
      }
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

function parseEntry(text: string): CloudEntry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as CloudEntry) : undefined;
  } catch {
    return undefined;
  }
}

/** The text of an entry, for prefix detection. */
export function cloudSqlPayload(line: string): string | undefined {
  const text = parseEntry(line)?.textPayload;
  return typeof text === 'string' ? text : undefined;
}
