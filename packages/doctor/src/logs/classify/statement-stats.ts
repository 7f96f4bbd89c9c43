import type { Origin } from '../../engine/finding.js';
import { normalizeStatement } from './normalize-statement.js';

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

interface Entry {
  calls: number;
  total: number;
  max: number;
  origin?: Origin;
}

/** An origin, or how to find it: parsing comments costs more than counting, so it is done once per statement. */
export type OriginSource = Origin | (() => Origin | undefined) | undefined;

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
  #total = 0;
  readonly #other = { calls: 0, total_ms: 0, max_ms: 0, distinct: 0 };

  constructor(options: StatementStatsOptions = {}) {
    this.#max = Math.max(1, options.maxEntries ?? 1000);
    this.#maxPending = Math.max(1, options.maxPending ?? 10_000);
  }

  /**
   * Count one duration; `text` undefined when the log did not say which statement it was. The origin is that of
   * the statement's first call, so a function given for it runs only for a statement not seen before.
   */
  add(durationMs: number, text: string | undefined, origin?: OriginSource): void {
    this.#calls += 1;
    this.#total += durationMs;
    if (text === undefined || text.trim() === '') {
      this.#addOther(durationMs);
      return;
    }
    const key = normalizeStatement(text);
    let entry = this.#entries.get(key);
    if (!entry) {
      // Prune before inserting: the newcomer (total 0) would otherwise be the first pushed out, its call lost.
      if (this.#entries.size >= this.#max * 2) this.#prune();
      entry = { calls: 0, total: 0, max: 0 };
      const found = typeof origin === 'function' ? origin() : origin;
      if (found) entry.origin = found;
      this.#entries.set(key, entry);
    }
    entry.calls += 1;
    entry.total += durationMs;
    if (durationMs > entry.max) entry.max = durationMs;
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
    const ranked = [...this.#entries].sort((a, b) => b[1].total - a[1].total);
    const statements: StatementSummaryEntry[] = [];
    const other = { ...this.#other };
    for (const [index, [query, entry]] of ranked.entries()) {
      if (index < this.#max) {
        const item: StatementSummaryEntry = { query, calls: entry.calls, total_ms: round(entry.total), mean_ms: round(entry.total / entry.calls), max_ms: round(entry.max) };
        if (entry.origin) item.origin = entry.origin;
        statements.push(item);
      } else {
        other.calls += entry.calls;
        other.total_ms += entry.total;
        other.max_ms = Math.max(other.max_ms, entry.max);
        other.distinct += 1;
      }
    }
    other.total_ms = round(other.total_ms);
    other.max_ms = round(other.max_ms);
    return { calls: this.#calls, total_ms: round(this.#total), statements, other };
  }

  #addOther(durationMs: number): void {
    this.#other.calls += 1;
    this.#other.total_ms += durationMs;
    if (durationMs > this.#other.max_ms) this.#other.max_ms = durationMs;
  }

  #prune(): void {
    const ranked = [...this.#entries].sort((a, b) => b[1].total - a[1].total);
    for (const [key, entry] of ranked.slice(this.#max)) {
      this.#other.calls += entry.calls;
      this.#other.total_ms += entry.total;
      if (entry.max > this.#other.max_ms) this.#other.max_ms = entry.max;
      this.#other.distinct += 1;
      this.#entries.delete(key);
    }
  }
}

/** Microsecond precision, as the log gives it; no float noise in the JSON. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
