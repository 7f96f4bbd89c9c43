import type { Origin } from '../../engine/finding.js';
import { StatementKey, normalizeInto } from './normalize-statement.js';
import { originOf } from './origin.js';
import { StatementTable, type KeyedRow } from './statement-table.js';

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

type Row = Entry & KeyedRow;

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
  readonly #entries = new StatementTable<Row>();
  readonly #key = new StatementKey();
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
    this.addRange(durationMs, text, 0, text?.length ?? 0, application);
  }

  /** add() for the statement text[from, to): no slice of a log line is made unless the statement is new. */
  addRange(durationMs: number, text: string | undefined, from: number, to: number, application?: string): void {
    const us = Math.round(durationMs * 1000);
    this.#calls += 1;
    this.#totalUs += us;
    if (text === undefined || isBlank(text, from, to)) {
      this.#addOther(us);
      return;
    }
    const key = normalizeInto(this.#key, text, from, to);
    const hash = key.hash();
    let entry = this.#entries.find(key, hash);
    if (!entry) {
      // Prune before inserting: the newcomer (total 0) would otherwise be the first pushed out, its call lost.
      if (this.#entries.size >= this.#max * 2) this.#prune();
      entry = this.#row(key.toString(), hash);
      const origin = originOf(application, [text.slice(from, to)]);
      if (origin) entry.origin = origin;
      this.#entries.insert(entry);
    }
    entry.calls += 1;
    entry.totalUs += us;
    if (us > entry.maxUs) entry.maxUs = us;
  }

  #row(query: string, hash: number): Row {
    return { query, hash, next: undefined, calls: 0, totalUs: 0, maxUs: 0, origin: undefined };
  }

  /** What this counted, for another StatementStats to merge. */
  state(): StatementStatsState {
    const entries: [string, Entry][] = [];
    for (const row of this.#entries.rows()) entries.push([row.query, entryOf(row)]);
    return { entries, calls: this.#calls, totalUs: this.#totalUs, other: { ...this.#other } };
  }

  /** Adds what another StatementStats counted (a later part of the log: its origins come second). */
  merge(state: StatementStatsState): void {
    this.#calls += state.calls;
    this.#totalUs += state.totalUs;
    this.#other.calls += state.other.calls;
    this.#other.totalUs += state.other.totalUs;
    this.#other.maxUs = Math.max(this.#other.maxUs, state.other.maxUs);
    this.#other.distinct += state.other.distinct;
    for (const [query, theirs] of state.entries) {
      const key = this.#key.load(query);
      const hash = key.hash();
      const entry = this.#entries.find(key, hash);
      if (!entry) {
        if (this.#entries.size >= this.#max * 2) this.#prune();
        this.#entries.insert({ ...this.#row(query, hash), ...entryOf(theirs) });
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
    const ranked = this.#ranked();
    const statements: StatementSummaryEntry[] = [];
    const other = { ...this.#other };
    for (const [index, entry] of ranked.entries()) {
      if (index < this.#max) {
        const item: StatementSummaryEntry = {
          query: entry.query,
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
    for (const entry of this.#ranked().slice(this.#max)) {
      this.#other.calls += entry.calls;
      this.#other.totalUs += entry.totalUs;
      if (entry.maxUs > this.#other.maxUs) this.#other.maxUs = entry.maxUs;
      this.#other.distinct += 1;
      this.#entries.delete(entry);
    }
  }

  #ranked(): Row[] {
    return [...this.#entries.rows()].sort((a, b) => b.totalUs - a.totalUs);
  }
}

/** Microseconds as the milliseconds of the report. */
function ms(us: number): number {
  return us / 1000;
}

/** The counts of a row, as plain data (no chain). */
function entryOf(entry: Entry): Entry {
  const plain: Entry = { calls: entry.calls, totalUs: entry.totalUs, maxUs: entry.maxUs };
  if (entry.origin) plain.origin = entry.origin;
  return plain;
}

/** Whether text[from, to) is empty or only whitespace, without making the trimmed copy (this runs for every statement). */

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

