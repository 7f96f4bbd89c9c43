import { classifyRecord } from './classify/classify-record.js';
import { StatementLane } from './classify/statement-lane.js';
import { DEFAULT_SLOW_MS } from './classify/statement-events.js';
import { StatementStats } from './classify/statement-stats.js';
import type { LogEvent, LogEventClass } from './log-event.js';
import { analyzeInParallel } from './parallel/analyze-in-parallel.js';
import type { LogReader } from './read/log-reader.js';
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
  /**
   * Called with each event as it is found, in log order (--ndjson streams them); needs jobs 1. Reading waits for a
   * promise it returns (the reader of the output catching up).
   */
  onEvent?: (event: LogEvent) => void | Promise<void>;
  /** Events kept for the result; the summary counts all. Default 100,000. */
  maxEvents?: number;
  /**
   * Worker threads reading at once (--jobs): files in parallel, and a large plain stderr or jsonlog file cut into
   * this many byte ranges. The result is the same as with 1. Default 1.
   */
  jobs?: number;
}

export interface LogAnalysis {
  /** In log order, at most maxEvents. */
  events: LogEvent[];
  /** Events found beyond maxEvents (counted in the summary, not kept). */
  eventsNotKept: number;
  summary: LogSummary;
}

/** The events of one reader, counted and summed up: a whole analysis, or one part of a parallel one. */
export interface ReaderAnalysis {
  events: LogEvent[];
  eventsNotKept: number;
  summarizer: EventSummarizer;
  statements: StatementStats;
}

/** Read logs, classify every record, and sum it up: the library entry point of `mvcc-doctor logs`. */
export async function analyzeLogs(inputs: readonly string[] | '-', options: AnalyzeOptions = {}): Promise<LogAnalysis> {
  if ((options.jobs ?? 1) > 1 && inputs !== '-') return analyzeInParallel(inputs, options);
  const analysis = newAnalysis(options);
  const reader = readLogRecords(inputs, { ...options, lane: analysis.lane });
  const part = await analyzeReader(reader, options, analysis);
  return { events: part.events, eventsNotKept: part.eventsNotKept, summary: part.summarizer.summary(part.statements.summary(), reader.stats) };
}

/** What one reader's analysis counts into, and the lane its reader is given (see StatementLane). */
export interface AnalysisState {
  statements: StatementStats;
  lane: StatementLane;
}

export function newAnalysis(options: AnalyzeOptions): AnalysisState {
  const statements = new StatementStats();
  return { statements, lane: new StatementLane(statements, options.slowMs ?? DEFAULT_SLOW_MS) };
}

/** Classifies every record of a reader made with `state.lane`: the one loop behind analyzeLogs, serial or in each worker. */
export async function analyzeReader(reader: LogReader, options: AnalyzeOptions, state: AnalysisState): Promise<ReaderAnalysis> {
  const { statements, lane } = state;
  const summarizer = new EventSummarizer();
  const events: LogEvent[] = [];
  const maxEvents = options.maxEvents ?? 100_000;
  const classify = { slowMs: options.slowMs, stats: statements, lane };
  let eventsNotKept = 0;
  for await (const batch of reader) {
    for (const record of batch) {
      const event = classifyRecord(record, classify);
      if (!event || (options.classes && !options.classes.has(event.class))) continue;
      if (options.since !== undefined && (event.time === undefined || event.time < options.since)) continue;
      summarizer.add(event);
      const wait = options.onEvent?.(event);
      if (wait) await wait;
      if (events.length < maxEvents) events.push(event);
      else eventsNotKept++;
    }
  }
  return { events, eventsNotKept, summarizer, statements };
}
