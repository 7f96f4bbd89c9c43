import type { Finding, Severity } from '../../engine/finding.js';
import { formatCount, formatDuration } from '../../report/format.js';
import { inDatabase } from '../../report/sql-text.js';
import type { DatabaseForecast, LimitEta, LimitName, XidLimits } from './forecast-databases.js';

const DAY = 86_400;

/** The stop limit this close at the fitted rate is critical: a weekend is enough to run out. */
export const ETA_CRITICAL_STOP_SECONDS = 3 * DAY;
/** The stop limit this close is a warning: two weeks leave time to find the holder and freeze in a maintenance window. */
export const ETA_WARNING_STOP_SECONDS = 14 * DAY;
/** vacuum_failsafe_age this close is a warning too: past it VACUUM skips index cleanup and throttling, a sign the stop limit is next. */
export const ETA_WARNING_FAILSAFE_SECONDS = 3 * DAY;

const ETA_WHY =
  'Every transaction that writes takes a new XID, and once a database\'s age reaches the stop limit the server refuses every such command until VACUUM has frozen its oldest tables. The time left is the XIDs left divided by the consumption rate fitted from the history, the faster of the last hour\'s and the last day\'s.';

const BEHIND_WHY =
  'Past autovacuum_freeze_max_age autovacuum must freeze the database\'s oldest tables, and its age falls only once they are frozen, so an age that keeps rising means freezing is blocked or slower than XID consumption. The usual causes are a horizon holder (a long or prepared transaction, a replication slot), a lock on the oldest table, or autovacuum workers that are throttled or busy elsewhere.';

const LIMIT_TEXT: Record<LimitName, string> = {
  autovacuum_freeze_max_age: 'autovacuum_freeze_max_age',
  failsafe: 'vacuum_failsafe_age',
  warning: 'the wraparound warning limit',
  stop: 'the XID stop limit',
};

/** `wraparound-eta` and `freezing-behind` findings from the forecasts, in the shape `check` reports. */
export function forecastFindings(forecasts: readonly DatabaseForecast[], limits: XidLimits): Finding[] {
  return forecasts.flatMap((f) => [etaFinding(f), behindFinding(f, limits)].filter((x): x is Finding => x !== undefined));
}

function etaFinding(f: DatabaseForecast): Finding | undefined {
  if (!f.rate) return undefined;
  const stop = f.etas.find((e) => e.limit === 'stop');
  const failsafe = f.etas.find((e) => e.limit === 'failsafe');
  const within = (eta: LimitEta | undefined, seconds: number) => eta?.seconds !== undefined && eta.seconds < seconds;
  const severity: Severity | undefined = within(stop, ETA_CRITICAL_STOP_SECONDS)
    ? 'critical'
    : within(stop, ETA_WARNING_STOP_SECONDS) || within(failsafe, ETA_WARNING_FAILSAFE_SECONDS)
      ? 'warning'
      : undefined;
  if (!severity) return undefined;
  // The failsafe is named first only when it alone made this a finding.
  const lead = within(stop, ETA_WARNING_STOP_SECONDS) ? stop! : failsafe!;
  const then = lead === stop ? '' : `, and the stop limit in ${formatDuration(stop!.seconds!)}`;
  return {
    check: 'wraparound-eta',
    severity,
    subject: { database: f.database },
    summary: `Database "${f.database}" reaches ${LIMIT_TEXT[lead.limit]} in ${formatDuration(lead.seconds!)} at ${rateText(f)}${then}.`,
    evidence: [{ database: f.database, xid_age: f.age }, rateEvidence(f), ...etaEvidence(f)],
    why: ETA_WHY,
    remediation: [
      'mvcc-doctor check  -- names what holds the horizon or keeps autovacuum from freezing',
      ...oldestTables(f.database),
      'mvcc-doctor freeze plan  -- the whole rescue, every database, ordered by age',
      freezeOldest(f.database),
      '-- then slow the consumption: fewer, larger write transactions (read-only ones take no XID)',
    ],
  };
}

function behindFinding(f: DatabaseForecast, limits: XidLimits): Finding | undefined {
  if (f.freezing.verdict !== 'behind') return undefined;
  const freezeMaxAge = limits.autovacuum_freeze_max_age!;
  // Before PostgreSQL 14 there is no failsafe: the warning limit is the next line.
  const critical = limits.failsafe ?? limits.warning;
  const climbing = formatDuration(f.freezing.spanSeconds);
  return {
    check: 'freezing-behind',
    severity: critical !== undefined && f.age >= critical ? 'critical' : 'warning',
    subject: { database: f.database },
    summary: `Database "${f.database}" is ${formatCount(f.age)} XIDs old and its age has not fallen for ${climbing} past autovacuum_freeze_max_age (${formatCount(freezeMaxAge)}): freezing is not keeping up.`,
    evidence: [
      {
        database: f.database,
        xid_age: f.age,
        autovacuum_freeze_max_age: freezeMaxAge,
        climbing_since: new Date(f.freezing.since!).toISOString(),
        climbing_for: climbing,
        points: f.freezing.points,
        window: formatDuration(f.freezing.windowSeconds),
      },
      ...(f.rate ? [rateEvidence(f)] : []),
      ...etaEvidence(f),
    ],
    why: BEHIND_WHY,
    remediation: [
      'mvcc-doctor check  -- names the horizon holders, the locks and the running vacuums that keep freezing back',
      'SELECT p.pid, p.datname, p.relid::regclass AS table, p.phase, p.heap_blks_scanned, p.heap_blks_total, a.wait_event_type, a.wait_event FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a USING (pid);  -- is a worker on it, and does it wait?',
      ...oldestTables(f.database),
      'mvcc-doctor freeze plan  -- the whole rescue, every database, ordered by age',
      freezeOldest(f.database),
    ],
  };
}

function rateText(f: DatabaseForecast): string {
  return `${formatCount(f.rate!.xidsPerSecond)} XIDs/s (the last ${f.rate!.window === '1h' ? 'hour' : 'day'}'s rate)`;
}

function rateEvidence(f: DatabaseForecast): Record<string, unknown> {
  const r = f.rate!;
  return { xids_per_second: Math.round(r.xidsPerSecond * 100) / 100, fitted_over: r.window, points: r.points, span: formatDuration(r.spanSeconds) };
}

function etaEvidence(f: DatabaseForecast): Record<string, unknown>[] {
  return f.etas.map((e) => ({
    to: e.limit,
    xids_left: e.remaining,
    eta: e.seconds === undefined ? 'unknown (no rate yet)' : Number.isFinite(e.seconds) ? formatDuration(e.seconds) : 'never at the current rate (0/s)',
  }));
}

const OLDEST = `FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relkind IN ('r', 'm') ORDER BY greatest(age(c.relfrozenxid), age(t.relfrozenxid)) DESC LIMIT 10`;

/** The database's oldest tables (their TOAST counted), read first; only then the freeze plan for every database. */
function oldestTables(database: string): string[] {
  return [inDatabase(database, `SELECT c.oid::regclass AS table, greatest(age(c.relfrozenxid), age(t.relfrozenxid)) AS xid_age ${OLDEST};`)];
}

/** psql's \gexec runs each generated VACUUM, oldest first; TRUNCATE false because truncation needs a new XID in the stop zone. */
function freezeOldest(database: string): string {
  return inDatabase(database, `SELECT format('VACUUM (FREEZE, TRUNCATE false, VERBOSE) %s', c.oid::regclass) ${OLDEST} \\gexec`);
}
