import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { openSession, type Session } from '../connect/safe-session.js';
import type { DatabaseAge } from './run-types.js';

/**
 * One round trip per tick: every database's age, every VACUUM running (ours and others', with whether an
 * autovacuum worker sleeps in vacuum_cost_delay), and who holds up any of our sessions waiting for a lock.
 */
/** Every VACUUM running in the cluster (ProgressRow[] as JSON): the tick's, and the stop-zone read's. */
export const PROGRESS_SQL = `(SELECT coalesce(json_agg(json_build_object('pid', p.pid, 'datname', p.datname, 'relid', p.relid::int8, 'phase', p.phase,
            'total', p.heap_blks_total, 'scanned', p.heap_blks_scanned, 'backend_type', a.backend_type, 'wait_event', a.wait_event)), '[]')
     FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a ON a.pid = p.pid)`;

const TICK_SQL = `SELECT
  (SELECT coalesce(json_agg(json_build_object('datname', datname, 'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid),
            'allows', datallowconn AND datconnlimit <> -2)), '[]')
     FROM pg_database) AS databases,
  ${PROGRESS_SQL} AS progress,
  (SELECT coalesce(json_agg(json_build_object('pid', a.pid, 'blockers',
            (SELECT coalesce(json_agg(json_build_object('pid', x.pid, 'backend_type', b.backend_type,
                      'waiting', b.wait_event_type IS NOT DISTINCT FROM 'Lock')), '[]')
               FROM unnest(pg_blocking_pids(a.pid)) AS x(pid) LEFT JOIN pg_stat_activity b ON b.pid = x.pid))), '[]')
     FROM pg_stat_activity a WHERE a.pid = ANY ($1::int[]) AND a.wait_event_type = 'Lock') AS waits`;

/** One of our sessions waiting for a lock, and who holds it up. */
export interface WaitRow {
  pid: number;
  /** pid 0 is a prepared transaction; `waiting`: the blocker itself waits in the lock queue (ahead of us). */
  blockers: { pid: number; backend_type: string | null; waiting: boolean }[];
}

export interface ProgressRow {
  pid: number;
  datname: string;
  relid: number;
  phase: string;
  total: number;
  scanned: number;
  backend_type: string | null;
  /** "VacuumDelay" while it sleeps in vacuum_cost_delay: it is throttled. */
  wait_event: string | null;
}

export interface Tick {
  databases: DatabaseAge[];
  progress: ProgressRow[];
  waits: WaitRow[];
}

/** The run's control session: reads ticks, cancels backends; opened again if the connection is lost. */
export class RunMonitor {
  /** The control loop and the workers both use the session: one query at a time, in the order asked. */
  private last: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly conn: ConnOptions,
    private session: Session,
    private readonly lockTimeoutMs: number,
  ) {}

  static async open(conn: ConnOptions, lockTimeoutMs: number): Promise<RunMonitor> {
    return new RunMonitor(conn, await openSession(conn, conn.database, { statementTimeoutMs: 30_000, lockTimeoutMs }), lockTimeoutMs);
  }

  /** `busy`: pids of our sessions running a VACUUM, to see which of them wait for a lock and behind whom. */
  async tick(busy: number[]): Promise<Tick> {
    try {
      const [row] = await this.serial(() => this.session.query<Tick>(TICK_SQL, [busy]));
      return row!;
    } catch (error) {
      if (error instanceof DoctorError && error.code === 'unreachable') await this.reopen();
      throw error;
    }
  }

  /** pg_cancel_backend each pid; a pid already gone is no error. */
  async cancel(pids: number[]): Promise<void> {
    if (pids.length === 0) return;
    await this.serial(() => this.session.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids])).catch(() => {});
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  private serial<T>(query: () => Promise<T>): Promise<T> {
    const next = this.last.then(query, query);
    this.last = next.catch(() => {});
    return next;
  }

  private async reopen(): Promise<void> {
    await this.session.close();
    this.session = await openSession(this.conn, this.conn.database, { statementTimeoutMs: 30_000, lockTimeoutMs: this.lockTimeoutMs }).catch(() => this.session);
  }
}
