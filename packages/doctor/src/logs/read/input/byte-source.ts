import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes of one input, read into the caller's buffer so one buffer serves a whole file. `read` returns the count
 * copied, 0 at the end, and -1 when a followed file has nothing new for now (the reader then flushes what it
 * holds and calls again).
 */
export interface ByteSource {
  read(into: Buffer, offset: number, length: number): Promise<number>;
  /** Releases the file, stream or child process; safe to call twice. */
  close(): Promise<void>;
}

/** A plain file, or the byte range [position, end) of one: reads straight into the buffer, no copy. */
export class FileSource implements ByteSource {
  constructor(
    private readonly handle: FileHandle,
    private position = 0,
    private readonly end = Number.POSITIVE_INFINITY,
  ) {}

  async read(into: Buffer, offset: number, length: number): Promise<number> {
    const wanted = Math.min(length, this.end - this.position);
    if (wanted <= 0) return 0;
    const { bytesRead } = await this.handle.read(into, offset, wanted, this.position);
    this.position += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/**
 * A stream (gunzip output, a decompressor's stdout, stdin) copied into the buffer chunk by chunk. A stream error
 * (truncated gzip, say) ends the input: `onError` decides whether that is a warning (return) or fatal (throw).
 */
export class StreamSource implements ByteSource {
  private readonly chunks: AsyncIterator<Buffer>;
  private chunk: Buffer | undefined;
  private used = 0;
  private done = false;

  constructor(
    stream: AsyncIterable<Buffer>,
    private readonly onError: (error: unknown) => void,
    private readonly atEnd: () => Promise<void> = async () => {},
    private readonly release: () => void = () => {},
  ) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  async read(into: Buffer, offset: number, length: number): Promise<number> {
    while (!this.chunk || this.used >= this.chunk.length) {
      if (this.done) return 0;
      let next: IteratorResult<Buffer>;
      try {
        next = await this.chunks.next();
      } catch (error) {
        this.done = true;
        this.onError(error);
        return 0;
      }
      if (next.done) {
        this.done = true;
        await this.atEnd();
        return 0;
      }
      this.chunk = next.value;
      this.used = 0;
    }
    const n = Math.min(length, this.chunk.length - this.used);
    this.chunk.copy(into, offset, this.used, this.used + n);
    this.used += n;
    return n;
  }

  async close(): Promise<void> {
    this.done = true;
    this.release();
    await this.chunks.return?.().catch(() => {});
  }
}
