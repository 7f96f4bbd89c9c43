import type { LogRecord } from '../log-record.js';
import type { ReadStats } from './read-stats.js';

/** Batches of records, in log order, and what reading found; iterate it once. */
export interface LogReader extends AsyncIterable<LogRecord[]> {
  /** Filled while reading; complete when the iteration has ended. */
  readonly stats: ReadStats;
}

/** Where the format readers put records: an array will do (tests), a RecordSink in the reader. */
export interface RecordOut {
  push(record: LogRecord): unknown;
}

/**
 * The records of the slice in hand. The reader takes them after every slice of input, as a fresh array each time:
 * records held longer — or a long-lived array they pass through — age into V8's old space (measured: a third of the
 * time went to the garbage collector when a whole 4 MiB block's records waited to fill one batch).
 */
export class RecordSink implements RecordOut {
  private records: LogRecord[] = [];

  push(record: LogRecord): void {
    this.records.push(record);
  }

  /** Everything put since the last take, in batches of at most `size`. */
  *take(size: number): Generator<LogRecord[]> {
    const all = this.records;
    if (all.length === 0) return;
    this.records = [];
    if (all.length <= size) yield all;
    else for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
  }
}
