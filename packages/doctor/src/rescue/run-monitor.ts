import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { openSession, type Session } from '../connect/safe-session.js';
import type { DatabaseAge } from './run-types.js';

/**
 * The statistics and lock views are read through the functions under them (pg_stat_get_activity,
 * pg_stat_get_progress_info, pg_lock_status, pg_prepared_xact), with the same columns: a new backend plans the
 * views' joins from cold catalog caches, ~2 ms each, and in the stop zone that is rescue time (the stop-zone read
 * runs in new backends; the tick runs beside the VACUUMs every poll).
 */

/** pg_stat_progress_vacuum's phase names, as its view maps param1 (the same in 12 to 18). */
export const VACUUM_PHASES = ['initializing', 'scanning heap', 'vacuuming indexes', 'vacuuming heap', 'cleaning up indexes', 'truncating heap', 'performing final cleanup'];

/** Every VACUUM running in the cluster (ProgressRow[] as JSON): the tick's, and the stop-zone read's. */
export const PROGRESS_SQL = `(SELECT coalesce(json_agg(json_build_object('pid', s.pid, 'datname', d.datname, 'relid', s.relid::int8,
            'phase', (ARRAY['${VACUUM_PHASES.join("', '")}'])[s.param1 + 1], 'total', s.param2, 'scanned', s.param3,
            'backend_type', a.backend_type, 'wait_event', a.wait_event)), '[]')
     FROM pg_stat_get_progress_info('VACUUM') s
     LEFT JOIN pg_database d ON d.oid = s.datid
     LEFT JOIN LATERAL pg_stat_get_activity(s.pid) a ON a.pid = s.pid)`;

/**
 * One round trip per tick: every database's age, every VACUUM running (ours and others', with whether an
 * autovacuum worker sleeps in vacuum_cost_delay), and who holds up any of our sessions waiting for a lock.
 */
const TICK_SQL = `SELECT
  (SELECT coalesce(json_agg(json_build_object('datname', datname, 'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid),
            'allows', datallowconn AND datconnlimit <> -2)), '[]')
     FROM pg_database) AS databases,
  ${PROGRESS_SQL} AS progress,
  (SELECT coalesce(json_agg(json_build_object('pid', a.pid, 'blockers',
            (SELECT coalesce(json_agg(json_build_object('pid', x.pid, 'backend_type', b.backend_type,
                      'waiting', b.wait_event_type IS NOT DISTINCT FROM 'Lock')), '[]')
               FROM unnest(pg_blocking_pids(a.pid)) AS x(pid) LEFT JOIN LATERAL pg_stat_get_activity(x.pid) b ON b.pid = x.pid))), '[]')
     FROM unnest($1::int[]) AS ours(pid), LATERAL pg_stat_get_activity(ours.pid) a WHERE a.wait_event_type = 'Lock') AS waits`;

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
