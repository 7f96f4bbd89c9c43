import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DoctorError } from '../../../connect/doctor-error.js';
import type { Compression, StatsRecorder } from '../read-stats.js';
import { FileSource, StreamSource, type ByteSource } from './byte-source.js';

/** An input opened for reading, its compression found from its first bytes (not its name). */
export interface OpenedInput {
  source: ByteSource;
  compression?: Compression;
  /** The file's modification time (syslog times have no year); absent for stdin. */
  modified?: Date;
}

/** The system programs that decompress what node:zlib does not, and the Debian package of each. */
const DECOMPRESSORS: Record<Exclude<Compression, 'gzip'>, { command: string; pkg: string }> = {
  bzip2: { command: 'bzip2', pkg: 'bzip2' },
  xz: { command: 'xz', pkg: 'xz-utils' },
  zstd: { command: 'zstd', pkg: 'zstd' },
};

// zlib makes a new buffer of this size for every chunk it outputs; those that live through a young-generation GC wait
// for a full one. Measured on a 1 GB gzip: 256 KiB chunks peaked at 155-158 MB RSS (Node 20), 64 KiB at 137-141 MB
// (Node 24: 113), at the same speed within this machine's noise; 16 KiB cost 20 % more time.
const ZLIB_CHUNK = 64 * 1024;

/** Compression by magic number. */
export function sniffCompression(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/** Opens a file (or "-" for `stdin`), decompressing it on the way; a DoctorError('unreadable') when it cannot. */
export async function openInput(path: string, recorder: StatsRecorder, stdin: Readable = process.stdin): Promise<OpenedInput> {
  if (path === '-') return openStdin(stdin, recorder);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DoctorError('unreadable', `${path}: not a regular file`);
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    const compression = sniffCompression(head.subarray(0, bytesRead));
    if (!compression) return { source: new FileSource(handle), modified: info.mtime };
    await handle.close();
    if (compression === 'gzip') {
      const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK });
      pipeline(createReadStream(path), gunzip, () => {});
      return { source: gzipSource(gunzip, recorder), compression, modified: info.mtime };
    }
    return { source: decompressorSource(compression, { path: resolve(path) }, recorder), compression, modified: info.mtime };
  } catch (error) {
    await handle.close().catch(() => {});
    if (error instanceof DoctorError) throw error;
    throw unreadable(path, error);
  }
}

async function openStdin(stdin: Readable, recorder: StatsRecorder): Promise<OpenedInput> {
  const chunks = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  const compression = sniffCompression(head);
  // The first chunk was taken to look at it; put it back in front of the rest.
  const whole = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield Buffer.from(next.value);
      }
    })(),
    { objectMode: false },
  );
  if (!compression) return { source: new StreamSource(whole, (error) => recorder.warn('stdin', `stdin failed: ${String(error)}`)) };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK });
    pipeline(whole, gunzip, () => {});
    return { source: gzipSource(gunzip, recorder), compression };
  }
  return { source: decompressorSource(compression, { stream: whole }, recorder), compression };
}

function gzipSource(gunzip: AsyncIterable<Buffer>, recorder: StatsRecorder): ByteSource {
  return new StreamSource(gunzip, (error) =>
    recorder.warn('compressed', `the gzip data is damaged or ends early (${errorText(error)}); read up to there`),
  );
}

/** bzip2/xz/zstd through the system program: `-dc FILE`, or stdin piped to it. */
function decompressorSource(
  compression: Exclude<Compression, 'gzip'>,
  input: { path: string } | { stream: Readable },
  recorder: StatsRecorder,
): ByteSource {
  const { command, pkg } = DECOMPRESSORS[compression];
  const child = spawn(command, 'path' in input ? ['-dc', input.path] : ['-dc'], {
    stdio: ['path' in input ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  let stderr = '';
  const exited = new Promise<number | null>((done) => {
    child.once('error', (error) => {
      spawnError = error;
      done(null);
    });
    child.once('close', (code) => done(code));
  });
  child.stderr?.on('data', (data: Buffer) => {
    if (stderr.length < 500) stderr += data.toString('utf8');
  });
  if ('stream' in input && child.stdin) {
    child.stdin.on('error', () => {}); // the decompressor may stop reading early (corrupt data): its exit code tells
    input.stream.pipe(child.stdin);
  }
  const stdout = child.stdout!;
  return new StreamSource(
    stdout,
    (error) => recorder.warn('compressed', `${command} output failed (${errorText(error)}); read up to there`),
    async () => {
      const code = await exited;
      if (spawnError) {
        if (spawnError.code === 'ENOENT') {
          throw new DoctorError('not-installed', `${command} is needed to read ${compression} data: install it (apt-get install ${pkg})`);
        }
        throw new DoctorError('unreadable', `${command} could not be started: ${spawnError.message}`);
      }
      if (code !== 0) {
        const why = stderr.trim().split('\n')[0] ?? '';
        recorder.warn('compressed', `${command} stopped with exit code ${code}${why ? ` (${why})` : ''}; read up to there`);
      }
    },
    () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  );
}

function unreadable(path: string, error: unknown): DoctorError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : errorText(error);
  return new DoctorError('unreadable', `${path}: ${why}`, { cause: error });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
