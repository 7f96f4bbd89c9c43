import type { RecordLane } from '../read-options.js';
import type { StatsRecorder } from '../read-stats.js';
import type { LogTimeParser } from '../time/log-time.js';
import type { FormatReader } from './format-reader.js';
import { firstLine, nameValue, wholeRecord } from './whole-record.js';
import type { RecordOut } from '../log-reader.js';

const MAX_FIELDS = 40;
const INCOMPLETE = -1;
const BAD = -2;
const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
const SEVERITIES = new Set(['LOG', 'ERROR', 'WARNING', 'FATAL', 'PANIC', 'NOTICE', 'INFO', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'DEBUG5']);
/** How a csvlog record starts: its log_time, quoted or not (PostgreSQL does not quote it; some tools do). */
const RECORD_START = /^"?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/;

/**
 * csvlog, all layouts: 22/23 columns (PostgreSQL 9.0–12), 24 (13: + backend_type), 26 (14+: + leader_pid, query_id).
 * A state machine over the bytes: quoted fields are found with indexOf (a message of any length is one call),
 * only the fields a record needs are decoded, and a record whose quoted field holds newlines may span blocks
 * (its bytes are carried over). After a malformed record, reading resumes at the next line that starts like one.
 */
export class CsvlogReader implements FormatReader {
  private line = 0;
  private carry: Buffer | undefined;
  private resync = false;
  private readonly from = new Int32Array(MAX_FIELDS);
  private readonly to = new Int32Array(MAX_FIELDS);
  private readonly escaped = new Uint8Array(MAX_FIELDS);
  private fields = 0;
  private newlines = 0;

  constructor(
    private readonly out: RecordOut,
    private readonly recorder: StatsRecorder,
    private readonly times: LogTimeParser,
    private readonly file: string,
    private readonly maxSize: number,
    private readonly wants: ((severity: string, head: string) => boolean) | undefined,
    private readonly lane?: RecordLane,
  ) {}

  block(buf: Buffer, start: number, end: number, cut: boolean): void {
    if (cut) {
      // One line longer than maxLine: its record cannot be read whole. Drop it and what was pending.
      const dropped = (this.carry ? countLines(this.carry, 0, this.carry.length) : 0) + 1;
      this.carry = undefined;
      this.line += dropped;
      this.recorder.lines(1);
      this.recorder.skip('bad-csv', dropped, 'a csvlog record longer than the limit was skipped');
      this.resync = true;
      return;
    }
    let data = buf;
    let pos = start;
    let stop = end;
    if (this.carry) {
      data = Buffer.concat([this.carry, buf.subarray(start, end)]);
      pos = 0;
      stop = data.length;
      this.carry = undefined;
    }
    this.recorder.lines(countLines(buf, start, end));
    this.parse(data, pos, stop, false);
  }

  idle(): void {}

  end(): void {
    if (!this.carry) return;
    const carry = this.carry;
    this.carry = undefined;
    this.parse(carry, 0, carry.length, true);
  }

  private parse(data: Buffer, pos: number, stop: number, atEnd: boolean): void {
    let records = 0;
    if (this.resync) pos = this.skipToRecord(data, pos, stop);
    while (pos < stop) {
      const next = this.record(data, pos, stop, atEnd);
      if (next === INCOMPLETE) {
        if (stop - pos > this.maxSize * 2) {
          pos = this.skipToRecord(data, pos, stop, true);
          continue;
        }
        this.carry = Buffer.from(data.subarray(pos, stop));
        break;
      }
      if (next === BAD) {
        pos = this.skipToRecord(data, pos, stop, true);
        continue;
      }
      const line = this.line + 1;
      this.line += this.newlines;
      if (this.build(data, line)) records++;
      pos = next;
    }
    this.recorder.records(records);
  }

  /** Parses one record at `pos` into from/to/escaped; the position after it, INCOMPLETE or BAD. */
  private record(data: Buffer, pos: number, stop: number, atEnd: boolean): number {
    let p = pos;
    let nf = 0;
    let newlines = 0;
    for (;;) {
      if (nf === MAX_FIELDS) return BAD;
      if (p < stop && data[p] === QUOTE) {
        let q = p + 1;
        let escaped = 0;
        for (;;) {
          const j = data.indexOf(QUOTE, q);
          if (j === -1 || j >= stop) return atEnd ? BAD : INCOMPLETE;
          if (j + 1 < stop && data[j + 1] === QUOTE) {
            escaped = 1;
            q = j + 2;
            continue;
          }
          for (let k = data.indexOf(LF, p + 1); k !== -1 && k < j; k = data.indexOf(LF, k + 1)) newlines++;
          this.from[nf] = p + 1;
          this.to[nf] = j;
          this.escaped[nf] = escaped;
          nf++;
          p = j + 1;
          break;
        }
      } else {
        let q = p;
        while (q < stop) {
          const c = data[q];
          if (c === COMMA || c === LF || c === CR) break;
          q++;
        }
        this.from[nf] = p;
        this.to[nf] = q;
        this.escaped[nf] = 0;
        nf++;
        p = q;
      }
      if (p >= stop) {
        newlines++; // the last line of the input, without its "\n"
        break;
      }
      const c = data[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === LF || c === CR) {
        p++;
        if (c === CR && p < stop && data[p] === LF) p++;
        newlines++;
        break;
      }
      return BAD;
    }
    this.fields = nf;
    this.newlines = newlines;
    return p;
  }

  private build(data: Buffer, line: number): boolean {
    const nf = this.fields;
    const field = (i: number): string | undefined => {
      if (i >= nf || this.to[i] === this.from[i]) return undefined;
      const text = data.toString('utf8', this.from[i], this.to[i]);
      return this.escaped[i] ? text.replaceAll('""', '"') : text;
    };
    const severity = nf >= 22 ? field(11) : undefined;
    if (!severity || !SEVERITIES.has(severity)) {
      this.recorder.skip('bad-csv', this.newlines);
      return false;
    }
    const message = field(13) ?? '';
    if (this.wants && !this.wants(severity, firstLine(message))) {
      this.recorder.skip('filtered', this.newlines);
      return false;
    }
    let counted = false;
    if (this.lane && severity === 'LOG' && message.length <= this.maxSize) {
      const taken = this.lane.take(message, 0, nameValue(field(22)));
      if (taken === 'taken') return true;
      counted = taken === 'counted';
    }
    const time = field(0);
    const pid = field(3);
    const sessionLine = field(6);
    const record = wholeRecord(
        {
          time: time === undefined ? undefined : this.times.parse(time),
          pid: pid === undefined ? undefined : Number(pid),
          severity,
          message,
          detail: field(14),
          hint: field(15),
          context: field(18),
          statement: field(19),
          query: field(16),
          sqlstate: field(12),
          user: field(1),
          database: field(2),
          application: field(22),
          client: field(4),
          backendType: field(23),
          sessionLine: sessionLine === undefined ? undefined : Number(sessionLine),
          virtualXid: field(9),
          xid: field(10),
          queryId: field(25),
          source: { file: this.file, line },
        },
        this.maxSize,
        this.recorder,
      );
    if (counted) this.lane!.mark(record);
    this.out.push(record);
    return true;
  }

  /** After a malformed record: the start of the next line that starts like a record (counting what is skipped). */
  private skipToRecord(data: Buffer, pos: number, stop: number, skipFirst = false): number {
    let p = pos;
    let skipped = 0;
    let first = skipFirst;
    while (p < stop) {
      if (!first && RECORD_START.test(data.toString('latin1', p, Math.min(stop, p + 24)))) break;
      first = false;
      const nl = data.indexOf(LF, p);
      skipped++;
      p = nl === -1 || nl >= stop ? stop : nl + 1;
    }
    this.resync = p >= stop;
    if (skipped > 0) {
      this.line += skipped;
      this.recorder.skip('bad-csv', skipped);
    }
    return p;
  }
}

function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(LF, start); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) n++;
  if (end > start && buf[end - 1] !== LF) n++;
  return n;
}
