import { Worker } from 'node:worker_threads';
import { DoctorError } from '../../connect/doctor-error.js';
import type { AnalyzeOptions, LogAnalysis } from '../analyze-logs.js';
import { StatementStats } from '../classify/statement-stats.js';
import type { LogEvent } from '../log-event.js';
import { expandInputs } from '../read/input/input-files.js';
import { addReadStats, newReadStats } from '../read/read-stats.js';
import { splitLog } from '../read/split-log.js';
import { EventSummarizer } from '../report/summarize-events.js';
import type { WorkPart, WorkReply, WorkUnit, WorkerOptions } from './worker-protocol.js';

const WORKER = new URL('./analyze-worker.js', import.meta.url);

/**
 * analyzeLogs with `jobs` worker threads: every file is a unit of work, a large plain stderr or jsonlog file is cut
 * into `jobs` byte ranges, and the parts are merged in log order — events, summary and read statistics come out as
 * a serial read gives them (line numbers included).
 */
export async function analyzeInParallel(inputs: readonly string[], options: AnalyzeOptions): Promise<LogAnalysis> {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new DoctorError('usage', `jobs must be a positive integer, not ${String(jobs)}`);
  if (options.onEvent) throw new DoctorError('usage', 'events are streamed in log order by one job: onEvent needs jobs 1');
  if (options.stdin || options.signal || options.wants) throw new DoctorError('usage', 'stdin, signal and wants need jobs 1');
  const files = await expandInputs(inputs);
  const units: WorkUnit[] = [];
  for (const file of files) {
    const ranges = await splitLog(file, jobs, options.format).catch(() => []);
    if (ranges.length > 1) for (const range of ranges) units.push({ file, range });
    else units.push({ file });
  }
  const { prefix, format, timezone, maxRecordBytes, year, slowMs, classes, since, maxEvents } = options;
  const parts = await runWorkers(units, Math.min(jobs, units.length), { prefix, format, timezone, maxRecordBytes, year, slowMs, classes, since, maxEvents });
  return mergeParts(units, parts, maxEvents ?? 100_000);
}

/** Runs the units on a pool of workers; the parts come back in unit order. The first error stops them all. */
async function runWorkers(units: WorkUnit[], size: number, options: WorkerOptions): Promise<WorkPart[]> {
  const parts: WorkPart[] = new Array(units.length);
  const workers: Worker[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const feed = (worker: Worker): void => {
        if (next >= units.length) {
          if (running === 0) resolve();
          return;
        }
        const index = next++;
        running++;
        worker.once('message', (reply: WorkReply) => {
          running--;
          if (!reply.ok) return reject(new DoctorError(reply.code, reply.message));
          parts[index] = reply.part;
          feed(worker);
        });
        worker.postMessage({ unit: units[index], options });
      };
      for (let i = 0; i < size; i++) {
        const worker = new Worker(WORKER);
        worker.once('error', (error) => reject(new DoctorError('internal', `a log worker failed: ${error.message}`, { cause: error })));
        workers.push(worker);
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return parts;
}

/** One analysis from the parts, in log order; the ranges of one file become that file again. */
function mergeParts(units: WorkUnit[], parts: WorkPart[], maxEvents: number): LogAnalysis {
  const summarizer = new EventSummarizer();
  const statements = new StatementStats();
  const read = newReadStats();
  const events: LogEvent[] = [];
  let eventsNotKept = 0;
  let linesBefore = 0;
  units.forEach((unit, i) => {
    const part = parts[i]!;
    const continues = unit.range !== undefined && unit.range.start > 0;
    if (!continues) linesBefore = 0;
    // Events were cloned twice (the list and the summary's urgent ones): both get the lines before their range.
    for (const event of part.summarizer.urgent) event.source.line += linesBefore;
    for (const event of part.events) {
      event.source.line += linesBefore;
      if (events.length < maxEvents) events.push(event);
      else eventsNotKept++;
    }
    eventsNotKept += part.eventsNotKept;
    summarizer.merge(part.summarizer);
    statements.merge(part.statements);
    addReadStats(read, part.read, continues);
    linesBefore += part.read.lines;
  });
  return { events, eventsNotKept, summary: summarizer.summary(statements.summary(), read) };
}
