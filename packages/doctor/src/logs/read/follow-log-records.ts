import { readdirSync, statSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DoctorError } from '../../connect/doctor-error.js';
import type { LogRecord } from '../log-record.js';
import type { ByteSource } from './input/byte-source.js';
import { headSample } from './input/head-sample.js';
import { sniffCompression } from './input/open-input.js';
import { RecordSink, type LogReader } from './log-reader.js';
import { readInput } from './read-input.js';
import { resolveReadOptions, type ReadOptions, type ResolvedReadOptions } from './read-options.js';
import { StatsRecorder, newReadStats, type ReadStats } from './read-stats.js';

export interface FollowOptions extends ReadOptions {
  /** Read the file from its start, then follow; default: only what is written from now on (tail -f). */
  fromStart?: boolean;
  /** How often to look for new lines, a rotation or a truncation, ms. 250. */
  pollMs?: number;
}

/**
 * Follows a live server log (`--follow`): yields records as they are written, through rotation by rename (the
 * renamed file is read to its end, then the new one from its start) and by copytruncate (the file shrinks: read
 * again from its start). Given a directory (logging_collector's log_directory), follows its newest file and moves
 * to each newer one the server starts (of the same extension: a server writing .log and .csv is followed in one
 * of them). The format and prefix are detected from the file's first lines. Ends when `signal` aborts (or the
 * caller stops iterating). Throws a DoctorError('unreadable') at once when the path is not there.
 */
export function followLogRecords(path: string, options: FollowOptions = {}): LogReader {
  const resolved = resolveReadOptions(options);
  const pollMs = options.pollMs ?? 250;
  if (!(pollMs > 0)) throw new DoctorError('usage', 'pollMs must be positive');
  const locate = locator(path);
  // "From now on" is from this call, not from the first next(): what is written in between is not lost.
  const file = locate.now();
  const start = options.fromStart ? 0 : sizeNow(file);
  return followSource(path, resolved, async () => {
    const source = await FollowSource.open(file, locate.next, pollMs, resolved.signal);
    return { source, sample: start > 0 ? await source.startAt(start) : undefined };
  });
}

/** Records from a source that never ends (a followed file, a log read through SQL), in batches as they come. */
export function followSource(
  name: string,
  options: ResolvedReadOptions,
  open: () => Promise<{ source: ByteSource; sample?: string[] }>,
): LogReader {
  const stats = newReadStats();
  return {
    stats,
    [Symbol.asyncIterator]: () => follow(name, options, stats, open),
  };
}

/** Where the followed file is: the path itself, or a directory's newest log file. */
interface Locator {
  /** Now, synchronously (a missing path throws the one-line error). */
  now(): string;
  /** On each idle poll: the file to read next (undefined: the same name as before). */
  next: () => Promise<string | undefined>;
}

function locator(path: string): Locator {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw unreadable(path, error);
  }
  if (!isDirectory) return { now: () => path, next: async () => undefined };
  const first = newestLogSync(path);
  if (!first) throw new DoctorError('unreadable', `${path}: no log file in the directory (.log, .csv or .json)`);
  const extension = extname(first);
  return {
    now: () => first,
    next: async () => {
      const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
      const files = entries.filter((e) => e.isFile() && extname(e.name) === extension).map((e) => join(path, e.name));
      return newest(await Promise.all(files.map(async (file) => ({ file, mtimeMs: (await stat(file).catch(() => undefined))?.mtimeMs ?? 0 }))));
    },
  };
}

const LOG_EXTENSIONS = new Set(['.log', '.csv', '.json']);

function newestLogSync(dir: string): string | undefined {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && LOG_EXTENSIONS.has(extname(e.name)))
    .map((e) => ({ file: join(dir, e.name), mtimeMs: statSync(join(dir, e.name)).mtimeMs }));
  return newest(files);
}

/** The last written; the later name on a tie (PostgreSQL's names sort by time). */
function newest(files: { file: string; mtimeMs: number }[]): string | undefined {
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.file.localeCompare(b.file)).at(-1)?.file;
}

function sizeNow(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): DoctorError {
  const code = (error as NodeJS.ErrnoException).code;
  return new DoctorError('unreadable', `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error)}`, { cause: error });
}

/** What a followed log's reader starts with: a poll brings a few lines; a backlog doubles it as needed. */
const FOLLOW_BUFFER_BYTES = 64 * 1024;

async function* follow(
  name: string,
  options: ResolvedReadOptions,
  stats: ReadStats,
  open: () => Promise<{ source: ByteSource; sample?: string[] }>,
): AsyncGenerator<LogRecord[]> {
  const recorder = new StatsRecorder(stats, name);
  const { source, sample } = await open();
  const out = new RecordSink();
  const reading = readInput({ source, recorder, options, out, sample, initialBufferBytes: FOLLOW_BUFFER_BYTES });
  for await (const _step of reading) yield* out.take(options.batchSize);
  yield* out.take(options.batchSize);
}

/** A file that never ends: reads what is there, then polls for more, a new file under the name, or truncation. */
class FollowSource implements ByteSource {
  private idleSent = false;

  private constructor(
    private path: string,
    private readonly next: () => Promise<string | undefined>,
    private handle: FileHandle,
    private inode: number,
    private position: number,
    private readonly pollMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(path: string, next: () => Promise<string | undefined>, pollMs: number, signal: AbortSignal | undefined): Promise<FollowSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw unreadable(path, error);
    }
    const info = await handle.stat();
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    if (sniffCompression(head.subarray(0, bytesRead))) {
      await handle.close();
      throw new DoctorError('usage', `${path} is compressed: only a plain log can be followed`);
    }
    return new FollowSource(path, next, handle, info.ino, 0, pollMs, signal);
  }

  /** Moves to `position`; returns the file's first lines, so the format is detected from what is there. */
  async startAt(position: number): Promise<string[] | undefined> {
    this.position = position;
    return headSample(this.handle, position);
  }

  async read(into: Buffer, offset: number, length: number): Promise<number> {
    for (;;) {
      if (this.signal?.aborted) return 0;
      const { bytesRead } = await this.handle.read(into, offset, length, this.position);
      if (bytesRead > 0) {
        this.position += bytesRead;
        this.idleSent = false;
        return bytesRead;
      }
      // Nothing new in this file: was it renamed away (a new file has the name), did the server start a newer one
      // in the directory, or was it truncated?
      const newer = await this.next();
      const target = newer ?? this.path;
      const now = await stat(target).catch(() => undefined);
      if (now && (target !== this.path || now.ino !== this.inode)) {
        // The rename may have happened after the read above: drain what was written to the old file since.
        const late = await this.handle.read(into, offset, length, this.position);
        if (late.bytesRead > 0) {
          this.position += late.bytesRead;
          this.idleSent = false;
          return late.bytesRead;
        }
        await this.handle.close().catch(() => {});
        try {
          this.handle = await open(target, 'r');
          this.path = target;
        } catch {
          continue; // renamed again in between: look again
        }
        this.inode = (await this.handle.stat()).ino;
        this.position = 0;
        continue;
      }
      if ((await this.handle.stat()).size < this.position) {
        this.position = 0;
        continue;
      }
      if (this.idleSent) {
        try {
          await sleep(this.pollMs, undefined, { signal: this.signal });
        } catch {
          return 0; // aborted
        }
        const again = await this.handle.read(into, offset, length, this.position);
        if (again.bytesRead > 0) {
          this.position += again.bytesRead;
          this.idleSent = false;
          return again.bytesRead;
        }
      }
      this.idleSent = true;
      return -1;
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}
