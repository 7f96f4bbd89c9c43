import { open, type FileHandle } from 'node:fs/promises';
import { DoctorError } from '../../connect/doctor-error.js';
import type { LogRecord } from '../log-record.js';
import { FileSource } from './input/byte-source.js';
import { headSample } from './input/head-sample.js';
import { RecordSink, type LogReader } from './log-reader.js';
import { readInput } from './read-input.js';
import { resolveReadOptions, type ReadOptions, type ResolvedReadOptions } from './read-options.js';
import { StatsRecorder, newReadStats, type ReadStats } from './read-stats.js';

/** Bytes [start, end) of a file; both at the start of a line (see splitLog). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads one byte range of a plain log file, as part of the whole: the format and prefix are detected from the
 * file's first lines, whatever the range. Line numbers count from the range's start (the caller adds the lines
 * before it). What splitLog cut apart is read in parallel this way.
 */
export function readFileRange(path: string, range: ByteRange, options: ReadOptions = {}): LogReader {
  const resolved = resolveReadOptions(options);
  const stats = newReadStats();
  return { stats, [Symbol.asyncIterator]: () => readRange(path, range, resolved, stats) };
}

async function* readRange(path: string, range: ByteRange, options: ResolvedReadOptions, stats: ReadStats): AsyncGenerator<LogRecord[]> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new DoctorError('unreadable', `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const recorder = new StatsRecorder(stats, path);
  const info = await handle.stat();
  const sample = range.start > 0 ? await headSample(handle, range.start) : undefined;
  const out = new RecordSink();
  const source = new FileSource(handle, range.start, range.end);
  const reading = readInput({ source, recorder, options, out, sample, year: info.mtime.getFullYear() });
  for await (const _step of reading) yield* out.take(options.batchSize);
  yield* out.take(options.batchSize);
}
