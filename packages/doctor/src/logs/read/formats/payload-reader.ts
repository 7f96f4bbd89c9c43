import type { LogRecord } from '../../log-record.js';
import { SEVERITY_PATTERN, type CompiledPrefix } from '../prefix/compile-prefix.js';
import type { LogTimeParser } from '../time/log-time.js';
import { FOLD_FIELDS, type ProcessKey, type RecordAssembler } from './record-assembler.js';

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
    private readonly wants: ((severity: string, head: string) => boolean) | undefined,
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
   */
  read(text: string, line: number, envelope?: Envelope, more?: MoreLines): boolean {
    const m = this.regex.exec(text);
    if (!m) return false;
    const severity = m[this.severityGroup]!;
    const head = text.slice(m[0].length);
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
      this.assembler.fold(fold, more ? more.message(m[0].length) : head, key, line, lines);
      return true;
    }
    if (this.wants && !this.wants(severity, head)) {
      this.assembler.skip(key, line, lines);
      return true;
    }
    const message = more ? more.message(m[0].length) : head;
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
    this.assembler.head(rec, key, line);
    return true;
  }

  private fields(rec: LogRecord, m: RegExpExecArray, g: CompiledPrefix['groups']): void {
    if (g.user) setName(rec, 'user', m[g.user]);
    if (g.database) setName(rec, 'database', m[g.database]);
    if (g.application) setName(rec, 'application', m[g.application]);
    if (g.client) {
      // %r prints "host(port)"; csvlog and jsonlog say "host:port": one form for every format.
      setName(rec, 'client', hostPort(m[g.client]));
    }
    if (g.backendType) setName(rec, 'backendType', m[g.backendType]);
    if (g.sqlstate) setName(rec, 'sqlstate', m[g.sqlstate]);
    if (g.sessionLine) rec.sessionLine = Number(m[g.sessionLine]);
    if (g.virtualXid) setName(rec, 'virtualXid', m[g.virtualXid]);
    if (g.xid) setId(rec, 'xid', m[g.xid]);
    if (g.queryId) setId(rec, 'queryId', m[g.queryId]);
  }
}

/** %r's "host(port)" as "host:port"; a string scan, not a regex: it runs for every record of such a prefix. */
function hostPort(client: string | undefined): string | undefined {
  if (!client || client.charCodeAt(client.length - 1) !== 41) return client;
  const open = client.lastIndexOf('(');
  if (open < 0 || open === client.length - 2) return client;
  for (let i = open + 1; i < client.length - 1; i++) {
    const c = client.charCodeAt(i);
    if (c < 48 || c > 57) return client;
  }
  return `${client.slice(0, open)}:${client.slice(open + 1, -1)}`;
}

type NameField = 'user' | 'database' | 'application' | 'client' | 'backendType' | 'sqlstate' | 'virtualXid';

/** Empty and "[unknown]" (a connection not yet authenticated) are no value. */
function setName(rec: LogRecord, field: NameField, value: string | undefined): void {
  if (value && value !== '[unknown]') rec[field] = value;
}

/** 0 is PostgreSQL's "none" for transaction and query ids. */
function setId(rec: LogRecord, field: 'xid' | 'queryId', value: string | undefined): void {
  if (value && value !== '0') rec[field] = value;
}
