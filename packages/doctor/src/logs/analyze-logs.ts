import { classifyRecord } from './classify/classify-record.js';
import { StatementStats } from './classify/statement-stats.js';
import type { LogEvent, LogEventClass } from './log-event.js';
import { readLogRecords } from './read/read-log-records.js';
import type { ReadOptions } from './read/read-options.js';
import type { LogSummary } from './report/log-summary.js';
import { EventSummarizer } from './report/summarize-events.js';

export interface AnalyzeOptions extends ReadOptions {
  /** A logged duration from this many ms is a slow-statement event (the rest are only aggregated). Default 500. */
  slowMs?: number;
  /** Only these classes become events (all by default); the statement summary sees every duration anyway. */
  classes?: ReadonlySet<LogEventClass>;
  /** Only events at or after this time (epoch ms). */
  since?: number;
  /** Called with each event as it is found (--ndjson streams them). */
  onEvent?: (event: LogEvent) => void;
  /** Events kept for the result; the summary counts all. Default 100,000. */
  maxEvents?: number;
}

export interface LogAnalysis {
  /** In log order, at most maxEvents. */
  events: LogEvent[];
  /** Events found beyond maxEvents (counted in the summary, not kept). */
  eventsNotKept: number;
  summary: LogSummary;
}

/** Read logs, classify every record, and sum it up: the library entry point of `mvcc-doctor logs`. */
export async function analyzeLogs(inputs: readonly string[] | '-', options: AnalyzeOptions = {}): Promise<LogAnalysis> {
  const stats = new StatementStats();
  const summarizer = new EventSummarizer();
  const events: LogEvent[] = [];
  const maxEvents = options.maxEvents ?? 100_000;
  let eventsNotKept = 0;
  const reader = readLogRecords(inputs, options);
  for await (const batch of reader) {
    for (const record of batch) {
      const event = classifyRecord(record, { slowMs: options.slowMs, stats });
      if (!event || (options.classes && !options.classes.has(event.class))) continue;
      if (options.since !== undefined && (event.time === undefined || event.time < options.since)) continue;
      summarizer.add(event);
      options.onEvent?.(event);
      if (events.length < maxEvents) events.push(event);
      else eventsNotKept++;
    }
  }
  return { events, eventsNotKept, summary: summarizer.summary(stats.summary(), reader.stats) };
}
