import type { LogFormat } from '../log-record.js';
import { CloudSqlReader, cloudSqlPayload } from './formats/cloudsql-reader.js';
import { CsvlogReader } from './formats/csvlog-reader.js';
import { detectFormat } from './formats/detect-format.js';
import type { FormatReader } from './formats/format-reader.js';
import { JsonReader } from './formats/json-reader.js';
import { LogplexReader, logplexPayload } from './formats/logplex-reader.js';
import { PayloadReader } from './formats/payload-reader.js';
import { RecordAssembler } from './formats/record-assembler.js';
import { StderrReader } from './formats/stderr-reader.js';
import { SyslogReader, syslogIdent, syslogPayload } from './formats/syslog-reader.js';
import type { ByteSource } from './input/byte-source.js';
import { SAMPLE_BYTES } from './input/head-sample.js';
import { lineBlocks } from './input/line-blocks.js';
import { compilePrefix, type CompiledPrefix } from './prefix/compile-prefix.js';
import { detectPrefix } from './prefix/detect-prefix.js';
import type { ResolvedReadOptions } from './read-options.js';
import type { StatsRecorder } from './read-stats.js';
import { LogTimeParser } from './time/log-time.js';
import type { RecordOut } from './log-reader.js';

/** Lines of the start of a file that detection looks at. */
const SAMPLE_LINES = 2000;
const SLICE_BYTES = 64 * 1024;

export interface InputReading {
  source: ByteSource;
  recorder: StatsRecorder;
  options: ResolvedReadOptions;
  /** The batch being filled; the caller yields it. */
  out: RecordOut;
  /** The year syslog times are in. */
  year?: number;
  /** Lines to detect the format and prefix from, instead of the input's first block (a followed file's start). */
  sample?: string[];
  /** A followed input starts with a small buffer (see lineBlocks). */
  initialBufferBytes?: number;
}

/**
 * Reads one input to its end: detects its format (and prefix) from the first lines, then feeds every block of
 * lines to that format's reader. Yields after each block (and each idle moment of a followed file) so the caller
 * can hand out full batches; ends with everything flushed into `out`.
 */
export async function* readInput(reading: InputReading): AsyncGenerator<'block' | 'idle'> {
  const { source, recorder, options } = reading;
  let reader: FormatReader | undefined;
  let times: LogTimeParser | undefined;
  try {
    const blocks = lineBlocks(source, {
      maxLine: options.maxRecordBytes,
      firstBlock: SAMPLE_BYTES,
      initialBytes: reading.initialBufferBytes,
      onBytes: (n) => recorder.bytes(n),
    });
    for await (const block of blocks) {
      if (options.signal?.aborted) break;
      if (block === 'idle') {
        reader?.idle();
        yield 'idle';
        continue;
      }
      if (!reader) {
        // A followed file's first lines may be only start-up messages, which show less of the prefix (%q): the
        // first new lines join them.
        const first = sampleLines(block.buf, block.start, block.end);
        const sample = reading.sample ? [...reading.sample, ...first] : first;
        times = new LogTimeParser(options.timezone, options.year ?? reading.year);
        const made = makeReader(reading, sample, times);
        if (!made) return;
        reader = made;
      }
      // Slices of whole lines, each handed out before the next is read: records then die young (measured: a whole
      // 4 MiB block's records at once spent a third of the time in the garbage collector).
      for (let from = block.start; from < block.end; ) {
        let to = block.end;
        if (to - from > SLICE_BYTES) {
          const nl = block.buf.lastIndexOf(10, from + SLICE_BYTES);
          to = nl >= from ? nl + 1 : block.end;
        }
        reader.block(block.buf, from, to, block.cut && to === block.end);
        from = to;
        yield 'block';
      }
    }
    reader?.end();
  } finally {
    await source.close();
    if (times && times.unknownZones.size > 0) {
      recorder.warn('zone', `unknown time zone abbreviation ${[...times.unknownZones].join(', ')}: those times were read as UTC (give the timezone)`);
    }
  }
}

function sampleLines(buf: Buffer, start: number, end: number): string[] {
  return buf.toString('utf8', start, Math.min(end, start + SAMPLE_BYTES)).split('\n', SAMPLE_LINES).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** The reader for the sample's format, or undefined when the input is not a PostgreSQL log (counted). */
function makeReader(reading: InputReading, sample: string[], times: LogTimeParser): FormatReader | undefined {
  const { recorder, options, out } = reading;
  const file = recorder.file.file;
  let format: LogFormat;
  if (options.format) format = options.format;
  else {
    const verdict = detectFormat(sample);
    if ('notPostgres' in verdict) {
      if (verdict.notPostgres !== 'unknown') {
        recorder.file.notPostgres = verdict.notPostgres;
        recorder.skip('not-postgres', sample.filter((l) => l !== '').length, `not a PostgreSQL server log (it looks like a ${verdict.notPostgres} log)`, 1);
        return undefined;
      }
      // Nothing recognisable at the start: read it as stderr by severity words alone, and say so.
      recorder.file.notPostgres = 'unknown';
      recorder.warn('format', 'no known log format in the first lines: read as stderr by severity words');
      format = 'stderr';
    } else format = verdict.format;
  }
  recorder.file.format = format;
  const { maxRecordBytes: max, wants, lane } = options;
  if (format === 'csvlog') return new CsvlogReader(out, recorder, times, file, max, wants, lane);
  if (format === 'jsonlog' || format === 'cnpg') return new JsonReader(format, out, recorder, times, file, max, wants, lane);

  const ident = format === 'syslog' ? syslogIdent(sample) : '';
  const payloads =
    format === 'syslog'
      ? sample.filter((l) => l.includes(` ${ident}[`)).map(syslogPayload)
      : format === 'logplex'
        ? sample.map(logplexPayload)
        : format === 'cloudsql'
          ? sample.map(cloudSqlPayload)
          : sample;
  const prefix = choosePrefix(
    payloads.filter((p): p is string => p !== undefined),
    reading,
  );
  const assembler = new RecordAssembler(out, recorder, max);
  const payload = new PayloadReader(prefix, assembler, times, file, max, wants, format === 'stderr' ? lane : undefined);
  if (format === 'syslog') return new SyslogReader(payload, assembler, recorder, times, ident);
  if (format === 'logplex') return new LogplexReader(payload, assembler, recorder, times);
  if (format === 'cloudsql') return new CloudSqlReader(payload, assembler, recorder, times);
  return new StderrReader(payload, assembler, recorder, max, prefix !== undefined && options.prefix === undefined);
}

function choosePrefix(payloads: string[], reading: InputReading): CompiledPrefix | undefined {
  const { recorder, options } = reading;
  if (options.prefix !== undefined) {
    recorder.file.prefix = options.prefix;
    recorder.file.prefixSource = 'option';
    return compilePrefix(options.prefix);
  }
  const detected = detectPrefix(payloads);
  if (detected.prefix) {
    recorder.file.prefix = detected.prefix.prefix;
    recorder.file.prefixSource = 'detected';
    return detected.prefix;
  }
  recorder.file.prefixSource = 'fallback';
  if (detected.candidates > 0) {
    recorder.warn(
      'prefix',
      `no log_line_prefix explains the first lines (the best matched ${detected.matched} of ${detected.candidates}): read by severity words alone (give the prefix)`,
    );
  }
  return undefined;
}
