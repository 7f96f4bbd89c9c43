import type { Origin } from '../../engine/finding.js';
import { normalizeStatement } from './normalize-statement.js';
import { originOf } from './origin.js';

export interface StatementStatsOptions {
  /** How many distinct statements the summary keeps, by total time; the rest go to `other`. Default 1000. */
  maxEntries?: number;
  /** Statements remembered per pid for "duration: N ms" lines that follow a log_statement line. Default 10000. */
  maxPending?: number;
}

/** One normalised statement in the summary. */
export interface StatementSummaryEntry {
  /** The normalised text (literals as ?, lists collapsed). */
  query: string;
  calls: number;
  total_ms: number;
  mean_ms: number;
  max_ms: number;
  /** The application code of the first call that named one. */
  origin?: Origin;
}

export interface StatementSummary {
  calls: number;
  total_ms: number;
  /** Top statements by total time, longest first. */
  statements: StatementSummaryEntry[];
  /** Everything not in `statements`: the statements pushed out (their count in `distinct`) and durations with no text. */
  other: { calls: number; total_ms: number; max_ms: number; distinct: number };
}

/** Times in whole microseconds (the log's precision): sums are exact, whatever order parts are added in. */
interface Entry {
  calls: number;
  totalUs: number;
  maxUs: number;
  origin?: Origin;
}

/** What a StatementStats counted, as plain data (it crosses from a worker thread) for `merge`. */
export interface StatementStatsState {
  entries: [string, Entry][];
  calls: number;
  totalUs: number;
  other: Other;
}

interface Other {
  calls: number;
  totalUs: number;
  maxUs: number;
  distinct: number;
}

/**
 * Every logged duration, aggregated per normalised statement in bounded memory. The map holds up to twice
 * `maxEntries`; when it overflows, the entries outside the top `maxEntries` by total time move to `other`
 * (a statement pushed out restarts from zero if it comes back, so totals near the cut are lower bounds,
 * as in any bounded top-k; the overall calls and total stay exact).
 */
export class StatementStats {
  readonly #max: number;
  readonly #maxPending: number;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<number, string>();
  #calls = 0;
  #totalUs = 0;
  readonly #other: Other = { calls: 0, totalUs: 0, maxUs: 0, distinct: 0 };

  constructor(options: StatementStatsOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 1000);
    this.#maxPending = Math.max(1, options.maxPending ?? 10_000);
  }

  /**
   * Count one duration; `text` undefined when the log did not say which statement it was. The origin is that of
   * the statement's first call (its comment, else the session's application_name), looked for only when the
   * statement is new: parsing comments costs more than counting.
   */
  add(durationMs: number, text: string | undefined, application?: string): void {
    const us = Math.round(durationMs * 1000);
    this.#calls += 1;
    this.#totalUs += us;
    if (text === undefined || isBlank(text)) {
      this.#addOther(us);
      return;
    }
    const key = normalizeStatement(text);
    let entry = this.#entries.get(key);
    if (!entry) {
      // Prune before inserting: the newcomer (total 0) would otherwise be the first pushed out, its call lost.
      if (this.#entries.size >= this.#max * 2) this.#prune();
      entry = { calls: 0, totalUs: 0, maxUs: 0 };
      const origin = originOf(application, [text]);
      if (origin) entry.origin = origin;
      // A copy of its own: the key may be a slice of a long log message, which the map would otherwise keep.
      this.#entries.set(flatCopy(key), entry);
    }
    entry.calls += 1;
    entry.totalUs += us;
    if (us > entry.maxUs) entry.maxUs = us;
  }

  /** What this counted, for another StatementStats to merge. */
  state(): StatementStatsState {
    return { entries: [...this.#entries], calls: this.#calls, totalUs: this.#totalUs, other: { ...this.#other } };
  }

  /** Adds what another StatementStats counted (a later part of the log: its origins come second). */
  merge(state: StatementStatsState): void {
    this.#calls += state.calls;
    this.#totalUs += state.totalUs;
    this.#other.calls += state.other.calls;
    this.#other.totalUs += state.other.totalUs;
    this.#other.maxUs = Math.max(this.#other.maxUs, state.other.maxUs);
    this.#other.distinct += state.other.distinct;
    for (const [key, theirs] of state.entries) {
      const entry = this.#entries.get(key);
      if (!entry) {
        if (this.#entries.size >= this.#max * 2) this.#prune();
        this.#entries.set(key, { ...theirs });
        continue;
      }
      entry.calls += theirs.calls;
      entry.totalUs += theirs.totalUs;
      if (theirs.maxUs > entry.maxUs) entry.maxUs = theirs.maxUs;
      if (!entry.origin && theirs.origin) entry.origin = theirs.origin;
    }
  }

  /** A statement logged by log_statement; a later bare "duration" line of the same process is its time. */
  remember(pid: number, text: string): void {
    this.#pending.delete(pid);
    this.#pending.set(pid, text);
    if (this.#pending.size > this.#maxPending) {
      const oldest = this.#pending.keys().next();
      if (!oldest.done) this.#pending.delete(oldest.value);
    }
  }

  /** The statement remembered for a pid, once. */
  take(pid: number): string | undefined {
    const text = this.#pending.get(pid);
    if (text !== undefined) this.#pending.delete(pid);
    return text;
  }

  summary(): StatementSummary {
    const ranked = [...this.#entries].sort((a, b) => b[1].totalUs - a[1].totalUs);
    const statements: StatementSummaryEntry[] = [];
    const other = { ...this.#other };
    for (const [index, [query, entry]] of ranked.entries()) {
      if (index < this.#max) {
        const item: StatementSummaryEntry = {
          query,
          calls: entry.calls,
          total_ms: ms(entry.totalUs),
          mean_ms: ms(Math.round(entry.totalUs / entry.calls)),
          max_ms: ms(entry.maxUs),
        };
        if (entry.origin) item.origin = entry.origin;
        statements.push(item);
      } else {
        other.calls += entry.calls;
        other.totalUs += entry.totalUs;
        other.maxUs = Math.max(other.maxUs, entry.maxUs);
        other.distinct += 1;
      }
    }
    return {
      calls: this.#calls,
      total_ms: ms(this.#totalUs),
      statements,
      other: { calls: other.calls, total_ms: ms(other.totalUs), max_ms: ms(other.maxUs), distinct: other.distinct },
    };
  }

  #addOther(us: number): void {
    this.#other.calls += 1;
    this.#other.totalUs += us;
    if (us > this.#other.maxUs) this.#other.maxUs = us;
  }

  #prune(): void {
    const ranked = [...this.#entries].sort((a, b) => b[1].totalUs - a[1].totalUs);
    for (const [key, entry] of ranked.slice(this.#max)) {
      this.#other.calls += entry.calls;
      this.#other.totalUs += entry.totalUs;
      if (entry.maxUs > this.#other.maxUs) this.#other.maxUs = entry.maxUs;
      this.#other.distinct += 1;
      this.#entries.delete(key);
    }
  }
}

/** Microseconds as the milliseconds of the report. */
function ms(us: number): number {
  return us / 1000;
}

/** Whether a text is empty or only whitespace, without making the trimmed copy (this runs for every statement). */
function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

/** A string that shares no memory with `text` (V8 keeps slices and concatenations as views of their sources). */
function flatCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
