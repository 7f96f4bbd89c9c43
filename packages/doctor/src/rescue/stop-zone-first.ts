import { sqlFor } from '../collect/dataset.js';
import type { DatabaseRow, ServerRow, SettingRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { ageLimits } from '../mvcc/wraparound-limits.js';
import type { ConnOptions } from '../connect/conn-options.js';
import { DEFAULT_LIMITS, openSession } from '../connect/safe-session.js';
import { planFreeze } from './freeze-plan.js';
import { runFreeze } from './freeze-runner.js';
import { relationsDataset, type RelationRow } from './plan-sql.js';
import type { FreezeRunResult } from './run-types.js';

export interface StopZoneFirstOptions {
  jobs: number;
  emergency: boolean;
  /** Short: a relation a blocker locks is left at once to the main run (which reports it). */
  lockTimeoutMs: number;
}

/** A freeze of the stop-zone relations that started before the full plan was read. */
export interface StopZoneFirst {
  /** Date.now() when it started: the run's times count from here. */
  startedAt: number;
  /** Resolves when every database is out of the stop zone, or there was nothing (more) it could do. */
  done: Promise<FreezeRunResult | undefined>;
}

const SETTINGS = ['autovacuum_freeze_max_age', 'vacuum_failsafe_age', 'autovacuum_multixact_freeze_max_age', 'vacuum_multixact_failsafe_age'];

const START_SQL = `SELECT current_setting('server_version_num')::int AS version_num, current_setting('server_version') AS version,
  (SELECT json_agg(json_build_object('name', name, 'setting', setting)) FROM pg_settings WHERE name = ANY ($1)) AS settings,
  (SELECT json_agg(json_build_object('datname', datname, 'datallowconn', datallowconn, 'datconnlimit', datconnlimit,
            'xid_age', age(datfrozenxid), 'mxid_age', mxid_age(datminmxid))) FROM pg_database) AS databases`;

/**
 * In the stop zone every second counts: start freezing the relations that keep a database there (those
 * whose age is past the stop limit) at once, while `freeze run` reads the full plan — the horizon holders
 * and blockers matter for the target, not for these VACUUMs, which are safe to run either way. It stops as
 * soon as no database is in the stop zone. Nothing is released; a relation locked by someone is left to the
 * main run. Resolves to undefined when no database is in the stop zone.
 */
export function freezeStopZoneFirst(conn: ConnOptions, options: StopZoneFirstOptions): StopZoneFirst {
  const startedAt = Date.now();
  // Best effort: whatever it could not do, the main run does (and reports).
  return { startedAt, done: run(conn, options).catch(() => undefined) };
}

async function run(conn: ConnOptions, options: StopZoneFirstOptions): Promise<FreezeRunResult | undefined> {
  const entry = await openSession(conn, conn.database, DEFAULT_LIMITS);
  let start: { version_num: number; version: string; settings: { name: string; setting: string }[]; databases: DatabaseRow[] };
  try {
    [start] = (await entry.query<typeof start>(START_SQL, [SETTINGS])) as [typeof start];
  } finally {
    await entry.close();
  }
  const settings: SettingRow[] = start.settings.map((s) => ({ ...s, unit: null, source: 'default' }));
  const setting = (name: string, fallback: number) => Number(settings.find((s) => s.name === name)?.setting ?? fallback);
  const xid = ageLimits(start.version_num, setting('autovacuum_freeze_max_age', 200_000_000));
  const mxid = ageLimits(start.version_num, setting('autovacuum_multixact_freeze_max_age', 400_000_000));
  const stuck = start.databases.filter((d) => d.datallowconn && d.datconnlimit !== -2 && (d.xid_age >= xid.stop || d.mxid_age >= mxid.stop));
  if (stuck.length === 0 || start.version_num < 120000) return undefined;

  // Just under the stop limits: the relations past them, and a run that ends once they are all done.
  const targetXidAge = xid.stop - 1;
  const targetMxidAge = mxid.stop - 1;
  const relations: Record<string, RelationRow[]> = {};
  await Promise.all(
    stuck.map(async (d) => {
      const session = await openSession(conn, d.datname, DEFAULT_LIMITS);
      try {
        relations[d.datname] = await session.query<RelationRow>(sqlFor(relationsDataset, start.version_num)!, [targetXidAge, targetMxidAge]);
      } finally {
        await session.close();
      }
    }),
  );
  const server = { version_num: start.version_num, version: start.version } as ServerRow;
  const snapshot: Snapshot = { server, settings, databases: start.databases, tables: {}, locks: {}, skipped: [] };
  const plan = planFreeze({ snapshot, targetXidAge, targetMxidAge, relations, locks: {}, skipped: [] }, { jobs: options.jobs, emergency: options.emergency });
  return runFreeze(conn, plan, { lockTimeoutMs: options.lockTimeoutMs, retry: false });
}

/**
 * The main run's result with the stop-zone-first run folded in: its frozen relations first, the time it
 * left the stop zone, and every time counted from the start of the stop-zone-first run.
 */
export function withStopZoneFirst(main: FreezeRunResult, first: FreezeRunResult | undefined, offsetSeconds: number): FreezeRunResult {
  const shift = (t: number | undefined) => (t === undefined ? undefined : t + offsetSeconds);
  if (!first) return { ...main, seconds: main.seconds + offsetSeconds, leftStopZoneAt: shift(main.leftStopZoneAt), underTargetAt: shift(main.underTargetAt) };
  const key = (r: { database: string; oid: number }) => `${r.database}/${r.oid}`;
  const again = new Set(main.frozen.map((f) => key(f.relation)));
  const early = new Set(first.frozen.map((f) => key(f.relation)));
  return {
    ...main,
    frozen: [...first.frozen.filter((f) => !again.has(key(f.relation))), ...main.frozen],
    // The main run found these already frozen: by us, a moment before.
    skipped: main.skipped.filter((s) => !early.has(key(s.relation))),
    tookOver: [...first.tookOver, ...main.tookOver],
    before: first.before,
    seconds: main.seconds + offsetSeconds,
    leftStopZoneAt: first.leftStopZoneAt ?? shift(main.leftStopZoneAt),
    underTargetAt: shift(main.underTargetAt),
  };
}
