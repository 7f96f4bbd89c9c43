import { classifyRecord } from './classify/classify-record.js';
import { StatementStats } from './classify/statement-stats.js';
import type { LogEvent, LogEventClass } from './log-event.js';
import type { LogRecord } from './log-record.js';
import { followLogRecords, type FollowOptions } from './read/follow-log-records.js';

export interface FollowLogsOptions extends FollowOptions {
  slowMs?: number;
  classes?: ReadonlySet<LogEventClass>;
  onEvent: (event: LogEvent) => void;
}

/**
 * `logs --follow`: classify a live log's records as they are written, through rotation, until the signal aborts.
 * Following starts when this returns (what is written from then on is read); a missing file throws at once.
 */
export function followLogs(path: string, options: FollowLogsOptions): Promise<void> {
  return classifyAll(followLogRecords(path, options), options);
}

/** Classifies a live reader's records as they come (the daemon's followers use it too). */
export async function classifyAll(reader: AsyncIterable<LogRecord[]>, options: Omit<FollowLogsOptions, keyof FollowOptions>): Promise<void> {
  const stats = new StatementStats();
  for await (const batch of reader) {
    for (const record of batch) {
      const event = classifyRecord(record, { slowMs: options.slowMs, stats });
      if (event && (!options.classes || options.classes.has(event.class))) options.onEvent(event);
    }
  }
}
