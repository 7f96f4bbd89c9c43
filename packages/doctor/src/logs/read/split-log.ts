import { open, type FileHandle } from 'node:fs/promises';
import type { LogFormat } from '../log-record.js';
import { detectFormat } from './formats/detect-format.js';
import { headSample } from './input/head-sample.js';
import { sniffCompression } from './input/open-input.js';
import type { ByteRange } from './read-file-range.js';

/** Below this, a file is read whole: starting workers costs more than they save. */
export const MIN_SPLIT_BYTES = 32 * 1024 * 1024;
const PROBE_BYTES = 1024 * 1024;

/**
 * Cuts a plain log file into `parts` byte ranges that can be read apart and give the records of the whole, or
 * returns it whole ([0, size)). Only formats whose records can be found from a line's first byte are cut: stderr
 * (a line that does not start with a TAB starts a message — PostgreSQL writes a message's next lines after a TAB,
 * and the logging collector writes each message in one piece) and jsonlog (a record a line). csvlog (newlines
 * inside quoted fields), syslog and the managed-service shapes are read whole.
 */
export async function splitLog(path: string, parts: number, format?: LogFormat): Promise<ByteRange[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const whole = [{ start: 0, end: size }];
    if (parts < 2 || size < MIN_SPLIT_BYTES) return whole;
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    if (sniffCompression(head.subarray(0, bytesRead))) return whole;
    const detected = format ?? formatOf(await headSample(handle, size));
    if (detected !== 'stderr' && detected !== 'jsonlog') return whole;
    const starts = [0];
    const probe = Buffer.alloc(PROBE_BYTES);
    for (let k = 1; k < parts; k++) {
      const at = await recordStartAfter(handle, probe, Math.floor((size * k) / parts), detected);
      if (at === undefined || at >= size) break;
      if (at > starts.at(-1)!) starts.push(at);
    }
    return starts.map((start, i) => ({ start, end: starts[i + 1] ?? size }));
  } finally {
    await handle.close();
  }
}

function formatOf(sample: string[] | undefined): LogFormat | undefined {
  if (!sample) return undefined;
  const verdict = detectFormat(sample);
  return 'format' in verdict ? verdict.format : undefined;
}

/** The first byte after `from` that starts a record: after a newline, and for stderr not a TAB continuation. */
async function recordStartAfter(handle: FileHandle, probe: Buffer, from: number, format: LogFormat): Promise<number | undefined> {
  for (let offset = from; ; offset += PROBE_BYTES) {
    const { bytesRead } = await handle.read(probe, 0, PROBE_BYTES, offset);
    if (bytesRead === 0) return undefined;
    for (let nl = probe.indexOf(10); nl !== -1 && nl + 1 < bytesRead; nl = probe.indexOf(10, nl + 1)) {
      const next = probe[nl + 1]!;
      if (format === 'jsonlog' || (next !== 9 && next !== 10 && next !== 13)) return offset + nl + 1;
    }
  }
}
