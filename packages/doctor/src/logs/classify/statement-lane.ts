import type { LogRecord } from '../log-record.js';
import type { RecordLane } from '../read/read-options.js';
import { planQueryText, scanDurationLine } from './duration-line.js';
import type { StatementStats } from './statement-stats.js';

/**
 * The short way for the bulk of a log that records every statement: a "duration: … statement|execute …: text" line
 * is counted in the statement summary straight from its message, before any record is built, and when it is under
 * --slow nothing else is wanted of it (no record, no event; its DETAIL lines go with it). Slow ones are counted here
 * too and still become records, marked so that classification does not count them again. Durations without their
 * text (after a log_statement line) are left to classification, which pairs them with their statement in log order.
 */
export class StatementLane implements RecordLane {
  readonly #counted = new WeakSet<LogRecord>();

  constructor(
    private readonly stats: StatementStats,
    private readonly slowMs: number,
  ) {}

  take(text: string, from: number, application: string | undefined): 'taken' | 'counted' | undefined {
    const line = scanDurationLine(text, from);
    if (!line?.known || line.truncated || line.bodyTo <= line.bodyFrom) return undefined;
    const ms = line.ms;
    if (line.kind === 'plan') {
      const query = planQueryText(text.slice(line.bodyFrom, line.bodyTo));
      if (query === undefined) return undefined;
      this.stats.add(ms, query, application);
    } else this.stats.addRange(ms, text, line.bodyFrom, line.bodyTo, application);
    return ms >= this.slowMs ? 'counted' : 'taken';
  }

  mark(record: LogRecord): void {
    this.#counted.add(record);
  }

  /** Whether this lane already counted the record's duration. */
  counted(record: LogRecord): boolean {
    return this.#counted.has(record);
  }
}
