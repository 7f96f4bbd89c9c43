import type { LogRecord } from '../log-record.js';
import { expandInputs } from './input/input-files.js';
import { openInput } from './input/open-input.js';
import { RecordSink, type LogReader } from './log-reader.js';
import { readInput } from './read-input.js';
import { resolveReadOptions, type ReadOptions, type ResolvedReadOptions } from './read-options.js';
import { StatsRecorder, newReadStats, type ReadStats } from './read-stats.js';

/**
 * Reads PostgreSQL server logs into records: files, directories (their files in name order, rotated ones
 * included) and "-" (stdin); gzip natively, bzip2/xz/zstd through the system programs; the format and the
 * log_line_prefix detected per file. Memory stays bounded whatever the size: one read buffer (4 MiB + the record
 * limit) and the records of the 64 KiB slice in hand.
 *
 * Bad input is counted, not thrown (see `stats`); a DoctorError is thrown for what stops reading altogether: an
 * input that cannot be read ("unreadable"), a missing decompressor ("not-installed"), bad options ("usage").
 */
export function readLogRecords(inputs: readonly string[] | '-', options: ReadOptions = {}): LogReader {
  const resolved = resolveReadOptions(options);
  const stats = newReadStats();
  return {
    stats,
    [Symbol.asyncIterator]: () => readAll(inputs, resolved, stats),
  };
}

async function* readAll(inputs: readonly string[] | '-', options: ResolvedReadOptions, stats: ReadStats): AsyncGenerator<LogRecord[]> {
  const files = await expandInputs(inputs);
  const out = new RecordSink();
  for (const file of files) {
    if (options.signal?.aborted) return;
    const recorder = new StatsRecorder(stats, file);
    const opened = await openInput(file, recorder, options.stdin);
    if (opened.compression) recorder.file.compression = opened.compression;
    const reading = readInput({ source: opened.source, recorder, options, out, year: opened.modified?.getFullYear() });
    for await (const _step of reading) yield* out.take(options.batchSize);
    yield* out.take(options.batchSize);
  }
}
