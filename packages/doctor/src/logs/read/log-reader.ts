import type { LogRecord } from '../log-record.js';
import type { ReadStats } from './read-stats.js';

/** Batches of records, in log order, and what reading found; iterate it once. */
export interface LogReader extends AsyncIterable<LogRecord[]> {
  /** Filled while reading; complete when the iteration has ended. */
  readonly stats: ReadStats;
}

/**
 * Hands out what `out` holds, in batches of at most `size`. The readers call it after every slice of input:
 * records held longer would age into V8's old space (measured: a third of the time went to the garbage collector
 * when a whole 4 MiB block's records waited to fill one batch).
 */
export function* takeBatches(out: LogRecord[], size: number): Generator<LogRecord[]> {
  while (out.length > 0) yield out.splice(0, size);
}
