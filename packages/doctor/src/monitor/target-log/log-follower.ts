import { setTimeout as sleep } from 'node:timers/promises';
import { serverLogLayout, serverLogSetup, type ServerLogSetup } from '../../collect/server-log-file.js';
import type { ConnOptions } from '../../connect/conn-options.js';
import { DoctorError } from '../../connect/doctor-error.js';
import { openSession, type Session, type SessionLimits } from '../../connect/safe-session.js';
import { classifyAll } from '../../logs/follow-logs.js';
import type { LogEvent } from '../../logs/log-event.js';
import { followLogRecords, followSource } from '../../logs/read/follow-log-records.js';
import { resolveReadOptions } from '../../logs/read/read-options.js';
import type { StoredLogEvent } from '../history-store.js';
import type { Sample } from '../sample.js';
import { ServerLogSource } from './server-log-source.js';
import type { TargetLogSpec } from './target-log-spec.js';

/** What GET /api/clusters says of a target's log. */
export interface TargetLogStatus {
  source: TargetLogSpec['kind'];
  /** The file or directory followed (source "path"), else null. */
  path: string | null;
  /** Events are being read now. */
  following: boolean;
  /** Why not, or why the last poll failed: one line, never a password; null when all is well. */
  error: string | null;
  /** Events classified since the daemon started. */
  events: number;
  /** Events not stored because too many came between two observations (still counted in the totals). */
  dropped: number;
}

export interface FollowerOptions {
  limits: SessionLimits;
  /** How often the log is polled, ms: the observation interval for the server's log, 250 ms for a file. */
  pollMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Events kept between two observations; beyond, informational ones are counted but not stored (others: 10×). */
const MAX_PENDING = 1000;
/** A log that could not be followed (no privilege, collector off, no such file) is tried again this often. */
const RETRY_MS = 60_000;

/**
 * Follows one target's server log for the daemon: classifies its records as `logs --follow` does and holds the
 * events until the next observation stores them on the target's timeline. Never throws: what goes wrong is its status.
 */
export class TargetLogFollower {
  readonly status: TargetLogStatus;
  private pending: StoredLogEvent[] = [];
  private readonly totals = new Map<string, number>();

  constructor(
    private readonly cluster: string,
    private readonly conn: ConnOptions,
    private readonly spec: TargetLogSpec,
    private readonly options: FollowerOptions,
  ) {
    this.status = { source: spec.kind, path: spec.kind === 'path' ? spec.path : null, following: false, error: null, events: 0, dropped: 0 };
  }

  /** Follows until the signal aborts, starting again after a failure. */
  async run(): Promise<void> {
    if (this.spec.kind === 'off') return;
    const { signal } = this.options;
    while (!signal.aborted) {
      try {
        await this.follow();
      } catch (error) {
        this.fail(error);
      }
      this.status.following = false;
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** The events read since the last call, to store. */
  take(): StoredLogEvent[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** mvcc_log_events_total by class, for the observation's samples. */
  samples(): Sample[] {
    return [...this.totals].map(([cls, value]) => ({ metric: 'mvcc_log_events_total', labels: { class: cls }, value }));
  }

  private async follow(): Promise<void> {
    const { signal, pollMs } = this.options;
    const onEvent = (event: LogEvent) => this.add(event);
    if (this.spec.kind === 'path') {
      // The prefix as the server writes it, when it answers: detection from a new file's first lines can miss parts.
      const layout = await this.withSession((session) => serverLogLayout(session)).catch(() => undefined);
      const reader = followLogRecords(this.spec.path, { signal, ...layout });
      this.started(`following ${this.spec.path}`);
      return classifyAll(reader, { onEvent });
    }
    const setup = await this.serverSetup();
    const reader = followSource(`${this.cluster} server log`, resolveReadOptions({ ...setup, signal }), async () => ({
      source: new ServerLogSource({
        format: setup.format,
        openSession: () => openSession(this.conn, this.conn.database, this.options.limits),
        pollMs,
        signal,
        onPolled: (error) => (error === undefined ? this.recovered() : this.fail(error)),
      }),
    }));
    this.started(`reading its server log through SQL (${setup.format})`);
    return classifyAll(reader, { onEvent });
  }

  private async serverSetup(): Promise<ServerLogSetup> {
    const setup = await this.withSession(async (session) => {
      const [row] = await session.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
      return serverLogSetup(session, row!.v);
    });
    if ('reason' in setup) throw new DoctorError('privilege', `its server log cannot be read through SQL: ${setup.reason}`);
    return setup;
  }

  private async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = await openSession(this.conn, this.conn.database, this.options.limits);
    try {
      return await work(session);
    } finally {
      await session.close().catch(() => {});
    }
  }

  private add(event: LogEvent): void {
    this.status.events += 1;
    this.totals.set(event.class, (this.totals.get(event.class) ?? 0) + 1);
    if (this.pending.length >= MAX_PENDING * (event.severity === 'info' ? 1 : 10)) {
      this.status.dropped += 1;
      return;
    }
    this.pending.push({ cluster: this.cluster, at: event.time ?? Date.now(), event });
  }

  private started(what: string): void {
    this.status.following = true;
    this.status.error = null;
    this.options.log(`cluster ${this.cluster}: ${what}`);
  }

  private recovered(): void {
    if (this.status.error === null) return;
    this.status.error = null;
    this.options.log(`cluster ${this.cluster}: its server log is read again`);
  }

  private fail(error: unknown): void {
    const line = error instanceof DoctorError ? error.line : `internal error: ${(error as Error).message}`;
    if (line !== this.status.error) this.options.log(`cluster ${this.cluster}: ${line}`);
    this.status.error = line;
  }
}
