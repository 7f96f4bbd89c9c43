import { setTimeout as sleep } from 'node:timers/promises';
import { currentLogfile, logFileSize, readLogBytes } from '../../collect/server-log-file.js';
import { DoctorError } from '../../connect/doctor-error.js';
import type { Session } from '../../connect/safe-session.js';
import type { LogFormat } from '../../logs/log-record.js';
import type { ByteSource } from '../../logs/read/input/byte-source.js';

export interface ServerLogSourceOptions {
  format: LogFormat;
  /** A session on the target: one is kept between polls (it holds no lock and no XID), a new one after a failure. */
  openSession: () => Promise<Session>;
  /** How often to look for new lines, ms. */
  pollMs: number;
  signal: AbortSignal;
  /** After each poll: the error when it failed (the server is down, say; reading goes on at the next poll). */
  onPolled: (error?: unknown) => void;
}

/** Read at most this much a query: a backlog is read in several polls without waiting between them. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The server's current log file read through SQL (pg_current_logfile + pg_read_binary_file) as a file being
 * followed: from its end at the first poll (tail -f), then what is appended; when the server starts a new file, the
 * old one is read to its end first, then the new one from its start. A truncated file is read again from its start.
 * Returns -1 while nothing is new, as a followed file does, so the reader hands out what it holds.
 */
export class ServerLogSource implements ByteSource {
  private file: string | undefined;
  private position = 0;
  private pending: Buffer = Buffer.alloc(0);
  private used = 0;
  private idleSent = false;
  private session: Session | undefined;

  constructor(private readonly options: ServerLogSourceOptions) {}

  async read(into: Buffer, offset: number, length: number): Promise<number> {
    for (;;) {
      if (this.options.signal.aborted) return 0;
      if (this.used < this.pending.length) {
        const n = this.pending.copy(into, offset, this.used, Math.min(this.pending.length, this.used + length));
        this.used += n;
        this.idleSent = false;
        return n;
      }
      if (this.idleSent) {
        try {
          await sleep(this.options.pollMs, undefined, { signal: this.options.signal });
        } catch {
          return 0; // aborted
        }
      }
      if (await this.poll()) continue;
      this.idleSent = true;
      return -1;
    }
  }

  async close(): Promise<void> {
    this.pending = Buffer.alloc(0);
    await this.dropSession();
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.close().catch(() => {});
  }

  /** Fetches what is new into `pending`; false when nothing is (or the server could not be asked). */
  private async poll(): Promise<boolean> {
    try {
      // Connecting costs more than the poll's three queries: measured in bench:serve, a session per poll doubled the
      // daemon's CPU.
      if (this.session?.broken) await this.dropSession();
      const session = (this.session ??= await this.options.openSession());
      const current = await currentLogfile(session, this.options.format);
      if (!current) throw new DoctorError('unreadable', `pg_current_logfile('${this.options.format}') names no file (is the logging collector writing ${this.options.format}?)`);
      if (this.file === undefined) {
        this.file = current;
        this.position = (await logFileSize(session, current)) ?? 0;
      }
      let bytes = await readLogBytes(session, this.file, this.position, CHUNK_BYTES);
      if (bytes.length === 0 && current !== this.file) {
        // The old file is read to its end: on to the new one.
        this.file = current;
        this.position = 0;
        bytes = await readLogBytes(session, this.file, 0, CHUNK_BYTES);
      } else if (bytes.length === 0 && ((await logFileSize(session, this.file)) ?? 0) < this.position) {
        this.position = 0; // truncated
        bytes = await readLogBytes(session, this.file, 0, CHUNK_BYTES);
      }
      this.position += bytes.length;
      this.pending = bytes;
      this.used = 0;
      this.options.onPolled();
      return bytes.length > 0;
    } catch (error) {
      await this.dropSession();
      this.options.onPolled(error);
      return false;
    }
  }
}
