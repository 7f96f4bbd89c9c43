import type { LogRecord } from '../../log-record.js';
import type { StatsRecorder } from '../read-stats.js';
import type { RecordOut } from '../log-reader.js';

/** The record fields that DETAIL, HINT, CONTEXT, STATEMENT and QUERY lines fill. */
export type FoldField = 'detail' | 'hint' | 'context' | 'statement' | 'query';

/** The levels of lines that belong to the record before them; LOCATION (verbose logs) has no field and is dropped. */
export const FOLD_FIELDS: Readonly<Record<string, FoldField | null>> = {
  DETAIL: 'detail',
  HINT: 'hint',
  CONTEXT: 'context',
  STATEMENT: 'statement',
  QUERY: 'query',
  LOCATION: null,
};

/** The previous line was a record the lane took: its continuation lines are part of it. */
const TAKEN = Symbol('taken');

/** Which process a line belongs to: the pid, else the session id, else 0 (all lines one process). */
export type ProcessKey = number | string;

interface Pending {
  rec: LogRecord;
  key: ProcessKey;
  /** Where a continuation line goes: the field the last line of this record wrote (null: dropped). */
  field: 'message' | FoldField | null;
  size: number;
  lastLine: number;
  closed: boolean;
  cut: boolean;
}

/**
 * Builds records from the lines of text logs (stderr, syslog, logplex, Cloud SQL), where a record's DETAIL, HINT,
 * CONTEXT and STATEMENT lines, and its continuation lines, come as lines of their own and processes interleave.
 * Each process has at most one open record; a new record of the same process closes it, and so does a window
 * of lines without news (the lines of one message are written together, so 1000 lines is generous). Records
 * come out in the order of their first lines.
 */
export class RecordAssembler {
  /**
   * A process's open record; or the line of its last record the gate declined, or minus the line of one the lane
   * took (a number: no object per line).
   */
  private readonly open = new Map<ProcessKey, Pending | number>();
  /** Records in first-line order; emitted ones are let go at once (a held reference would age them into V8's old space). */
  private queue: (Pending | undefined)[] = [];
  private next = 0;
  /** The target of a continuation line: the previous line's record, null when that line was skipped, TAKEN by the lane. */
  private last: Pending | null | typeof TAKEN | undefined;

  constructor(
    private readonly out: RecordOut,
    private readonly recorder: StatsRecorder,
    private readonly maxSize: number,
    private readonly window = 1000,
  ) {}

  /** A record's first line. */
  head(rec: LogRecord, key: ProcessKey, line: number): void {
    this.closeOpen(key);
    const pending: Pending = { rec, key, field: 'message', size: rec.message.length, lastLine: line, closed: false, cut: false };
    if (pending.size > this.maxSize) {
      rec.message = rec.message.slice(0, this.maxSize);
      pending.size = this.maxSize;
      pending.cut = true;
      this.recorder.cut();
    }
    this.open.set(key, pending);
    this.queue.push(pending);
    this.last = pending;
  }

  /** A record's first line that the gate declined: what follows it for this process is dropped too. */
  skip(key: ProcessKey, line: number, lines = 1): void {
    this.closeOpen(key);
    this.open.set(key, line);
    this.last = null;
    this.recorder.skip('filtered', lines);
  }

  /** A record's first line that the lane took whole: a record read, and what follows it for this process is part of it. */
  taken(key: ProcessKey, line: number): void {
    this.closeOpen(key);
    this.open.set(key, -line);
    this.last = TAKEN;
    this.recorder.records(1);
  }

  /** A DETAIL/HINT/CONTEXT/STATEMENT/QUERY/LOCATION line of a process. */
  fold(field: FoldField | null, text: string, key: ProcessKey, line: number, lines = 1): void {
    const target = this.open.get(key);
    if (typeof target === 'number' && target < 0) {
      this.last = TAKEN;
      return;
    }
    if (target === undefined || typeof target === 'number') {
      this.recorder.skip(target === undefined ? 'orphan' : 'filtered', lines);
      this.last = null;
      return;
    }
    target.lastLine = line;
    target.field = field;
    this.last = target;
    if (field) this.append(target, field, text, '\n');
  }

  /** A continuation of the previous line; false when there is nothing to continue. */
  continueLast(text: string, separator: string): boolean {
    const target = this.last;
    if (target === undefined) return false;
    if (target === TAKEN) return true;
    if (target === null) this.recorder.skip('filtered');
    else if (target.field) this.append(target, target.field, text, separator);
    return true;
  }

  /** A continuation of a process's record (syslog and logplex number the pieces of a message per process). */
  continueProcess(key: ProcessKey, text: string, separator: string, line: number): boolean {
    const target = this.open.get(key);
    if (target === undefined) return false;
    if (typeof target === 'number') {
      this.recorder.skip('filtered');
      this.last = null;
      return true;
    }
    target.lastLine = line;
    this.last = target;
    if (target.field) this.append(target, target.field, text, separator);
    return true;
  }

  /** Whether the previous line started or continued a record (a line without a prefix may then continue it). */
  get hasLast(): boolean {
    return this.last !== undefined;
  }

  /** Forgets the previous line's record as the target of continuation lines (after a line that is no log line). */
  breakContinuation(): void {
    this.last = undefined;
  }

  /**
   * Emits the records that are complete: closed ones, and those without news for `window` lines, in order.
   * `all` emits everything (end of input). `keepLatest` keeps the most recent record open (a followed file may
   * not have its next lines yet).
   */
  flush(line: number, all = false, keepLatest = false): void {
    const queue = this.queue;
    let emitted = 0;
    while (this.next < queue.length) {
      const pending = queue[this.next]!;
      const done = pending.closed || line - pending.lastLine > this.window || (all && !(keepLatest && pending === this.last));
      if (!done) break;
      this.out.push(pending.rec);
      emitted++;
      if (this.open.get(pending.key) === pending) this.open.delete(pending.key);
      if (this.last === pending) this.last = undefined;
      queue[this.next++] = undefined;
    }
    if (emitted > 0) this.recorder.records(emitted);
    if (this.next === queue.length) {
      queue.length = 0;
      this.next = 0;
    } else if (this.next > 4096 && this.next * 2 > queue.length) {
      this.queue = queue.slice(this.next);
      this.next = 0;
    }
    if (this.open.size > 16384) this.prune(line);
  }

  private closeOpen(key: ProcessKey): void {
    const previous = this.open.get(key);
    if (previous !== undefined && typeof previous !== 'number') previous.closed = true;
  }

  private append(pending: Pending, field: 'message' | FoldField, text: string, separator: string): void {
    if (pending.cut) return;
    const current = pending.rec[field];
    const sep = current === undefined ? '' : separator;
    const added = sep.length + text.length;
    if (pending.size + added > this.maxSize) {
      pending.cut = true;
      this.recorder.cut();
      text = text.slice(0, Math.max(0, this.maxSize - pending.size - sep.length));
    }
    pending.size += added;
    pending.rec[field] = current === undefined ? text : current + sep + text;
  }

  /** Drops the gate's markers of processes long silent, so a log of a million short sessions stays small. */
  private prune(line: number): void {
    for (const [key, value] of this.open) {
      if (typeof value === 'number' ? line - Math.abs(value) > this.window : value.closed) this.open.delete(key);
    }
  }
}
