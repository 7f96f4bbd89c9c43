import type { LogRecord } from '../../log-record.js';
import { SEVERITY_PATTERN, type CompiledPrefix } from '../prefix/compile-prefix.js';
import type { RecordLane } from '../read-options.js';
import type { LogTimeParser } from '../time/log-time.js';
import { FOLD_FIELDS, type ProcessKey, type RecordAssembler } from './record-assembler.js';
import { nameValue } from './whole-record.js';

/** A line whose message goes on over the next lines of the log. */
export interface MoreLines {
  /** Lines in all, the first one included. */
  lines: number;
  /** The whole message, from the first line's `prefixLength`-th character on, newlines kept. */
  message(prefixLength: number): string;
}

/** What a text line's envelope (syslog header, logplex header, Cloud SQL JSON) says about it. */
export interface Envelope {
  pid?: number;
  time?: number;
}

// Without a known prefix: the first severity word in the line's first 512 characters, the prefix being what
// comes before it; pid and time are then looked for in that text.
const LOOSE = new RegExp(`^(.{0,512}?)(?<![A-Za-z])(${SEVERITY_PATTERN}):[ \\t]*(?:(?=[A-Z]*\\d)([0-9A-Z]{5}): )?`);
const LOOSE_PID = /\[(\d+)\]|\b(?:pid[=: ]|process )(\d+)/;
const LOOSE_TIME = /\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?: ?(?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?/;

/**
 * Reads the text after a line's envelope — log_line_prefix, severity, message — into a new record or into the
 * record it belongs to (DETAIL, HINT …). The hot path of stderr logs: one regex, and strings only for the fields
 * the prefix has.
 */
export class PayloadReader {
  private regex!: RegExp;
  private severityGroup!: number;
  private stateGroup!: number;
  private prefix: CompiledPrefix | undefined;

  constructor(
    prefix: CompiledPrefix | undefined,
    private readonly assembler: RecordAssembler,
    private readonly times: LogTimeParser,
    private readonly file: string,
    /** maxRecordBytes: a longer message is cut by the assembler, never taken whole. */
    private readonly maxSize: number,
    private readonly wants: ((severity: string, head: string) => boolean) | undefined,
    private readonly lane?: RecordLane,
  ) {
    this.usePrefix(prefix);
  }

  /** The prefix lines are read with from now on (a server whose log_line_prefix changed in the middle of a file). */
  usePrefix(prefix: CompiledPrefix | undefined): void {
    this.prefix = prefix;
    this.regex = prefix ? prefix.regex : LOOSE;
    this.severityGroup = prefix ? prefix.severityGroup : 2;
    this.stateGroup = prefix ? prefix.verboseStateGroup : 3;
  }

  get currentPrefix(): CompiledPrefix | undefined {
    return this.prefix;
  }

  /**
   * false when the text (one line) does not start with the prefix and a severity: a continuation, or no log
   * line. `more`: the line's message goes on over more lines, and `more.message` builds all of it (only if wanted).
   * `whole`: the reader knows no later line continues this message, so the lane may take it.
   */
  read(text: string, line: number, envelope?: Envelope, more?: MoreLines, whole = false): boolean {
    const m = this.regex.exec(text);
    if (!m) return false;
    const severity = m[this.severityGroup]!;
    const prefixLength = m[0].length;
    const lines = more ? more.lines : 1;
    const g = this.prefix?.groups;
    let pid = envelope?.pid;
    let sessionId: string | undefined;
    if (g) {
      if (g.pid) pid = Number(m[g.pid]);
      if (g.sessionId) sessionId = m[g.sessionId];
    } else {
      const found = LOOSE_PID.exec(m[1]!);
      if (found) pid = Number(found[1] ?? found[2]);
    }
    const key: ProcessKey = pid ?? sessionId ?? 0;
    // LOG, the common case, is never folded: no table lookup for it.
    const fold = severity === 'LOG' ? undefined : FOLD_FIELDS[severity];
    if (fold !== undefined) {
      this.assembler.fold(fold, more ? more.message(prefixLength) : text.slice(prefixLength), key, line, lines);
      return true;
    }
    if (this.wants && !this.wants(severity, text.slice(prefixLength))) {
      this.assembler.skip(key, line, lines);
      return true;
    }
    const joined = more ? more.message(prefixLength) : undefined;
    let counted = false;
    if (whole && this.lane && severity === 'LOG') {
      // The message is read where it is in the line: no slice of it for the bulk the lane counts and drops.
      const source = joined ?? text;
      const from = joined === undefined ? prefixLength : 0;
      if (source.length - from <= this.maxSize) {
        const taken = this.lane.take(source, from, g?.application ? nameValue(m[g.application]) : undefined);
        if (taken === 'taken') {
          this.assembler.taken(key, line);
          return true;
        }
        counted = taken === 'counted';
      }
    }
    const message = joined ?? text.slice(prefixLength);
    let time = envelope?.time;
    if (g) {
      if (g.time) time = this.times.parse(m[g.time]!) ?? time;
      else if (g.epoch) time = this.times.parseEpoch(m[g.epoch]!) ?? time;
    } else {
      const stamp = LOOSE_TIME.exec(m[1]!);
      if (stamp) time = this.times.parse(stamp[0]) ?? time;
    }
    // Fields are added in the contract's order, absent ones not at all: same-shaped objects stay fast.
    const rec = {} as LogRecord;
    if (time !== undefined) rec.time = time;
    if (pid !== undefined) rec.pid = pid;
    rec.severity = severity;
    rec.message = message;
    if (g) this.fields(rec, m, g);
    const state = m[this.stateGroup];
    if (state) rec.sqlstate = state;
    rec.source = { file: this.file, line };
    if (counted) this.lane!.mark(rec);
    this.assembler.head(rec, key, line);
    return true;
  }

  // Named stores, one per field, rather than rec[field] = …: a keyed store with many names is megamorphic (5% once).
  private fields(rec: LogRecord, m: RegExpExecArray, g: CompiledPrefix['groups']): void {
    let value: string | undefined;
    if (g.user && (value = nameValue(m[g.user]))) rec.user = value;
    if (g.database && (value = nameValue(m[g.database]))) rec.database = value;
    if (g.application && (value = nameValue(m[g.application]))) rec.application = value;
    // %r prints "host(port)"; csvlog and jsonlog say "host:port": one form for every format.
    if (g.client && (value = nameValue(m[g.client]))) rec.client = hostPort(value);
    if (g.backendType && (value = nameValue(m[g.backendType]))) rec.backendType = value;
    if (g.sqlstate && (value = nameValue(m[g.sqlstate]))) rec.sqlstate = value;
    if (g.sessionLine) rec.sessionLine = Number(m[g.sessionLine]);
    if (g.virtualXid && (value = nameValue(m[g.virtualXid]))) rec.virtualXid = value;
    if (g.xid && (value = idValue(m[g.xid]))) rec.xid = value;
    if (g.queryId && (value = idValue(m[g.queryId]))) rec.queryId = value;
  }
}

/** %r's "host(port)" as "host:port"; a string scan, not a regex: it runs for every record of such a prefix. */
function hostPort(client: string): string {
  if (client.charCodeAt(client.length - 1) !== 41) return client;
  const open = client.lastIndexOf('(');
  if (open < 0 || open === client.length - 2) return client;
  for (let i = open + 1; i < client.length - 1; i++) {
    const c = client.charCodeAt(i);
    if (c < 48 || c > 57) return client;
  }
  return `${client.slice(0, open)}:${client.slice(open + 1, -1)}`;
}

/** 0 is PostgreSQL's "none" for transaction and query ids. */
function idValue(value: string | undefined): string | undefined {
  return value && value !== '0' ? value : undefined;
}
