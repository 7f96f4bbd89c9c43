import type { Point, RateFit, RateWindow } from './fit-rate.js';

/** The limits of `mvcc_xid_limit_xids`, in the order a database's age reaches them. */
export const LIMIT_NAMES = Object.freeze(['autovacuum_freeze_max_age', 'failsafe', 'warning', 'stop'] as const);

export type LimitName = (typeof LIMIT_NAMES)[number];

/** XID ages at which the server acts (as `limitsOf` gives them); failsafe is absent before PostgreSQL 14. */
export type XidLimits = Partial<Record<LimitName, number>>;

/**
 * How long a database may stay past autovacuum_freeze_max_age with an age that never falls before freezing counts
 * as behind. The age climbs to the limit and falls only once autovacuum has frozen the database's oldest table,
 * and one anti-wraparound VACUUM of a large table takes tens of minutes: an hour (the short rate window) without
 * any fall is no longer that.
 */
export const FREEZING_WINDOW_SECONDS = 3600;

/** One database's XID age now and before. */
export interface DatabaseAges {
  database: string;
  /** The latest age(datfrozenxid). */
  age: number;
  /** Its `mvcc_database_xid_age_xids` points, oldest first, normally ending with the latest. */
  history: readonly Point[];
}

export interface ForecastInput {
  /** Epoch ms the forecast is made at. */
  now: number;
  /** The fitted XID rate; without one the ETAs have no seconds. */
  fit: RateFit | undefined;
  databases: readonly DatabaseAges[];
  limits: XidLimits;
  /** Default FREEZING_WINDOW_SECONDS. */
  freezingWindowSeconds?: number;
}

/** Time to one limit still ahead of a database. */
export interface LimitEta {
  limit: LimitName;
  /** The age at which the limit is reached. */
  at: number;
  /** XIDs left until then. */
  remaining: number;
  /** At the fitted rate; Infinity when nothing consumes XIDs, absent when no rate could be fitted. */
  seconds?: number;
}

/**
 * not-due: younger than autovacuum_freeze_max_age. due: crossed it less than the window ago, autovacuum has had
 * little time. keeping-up: past it, but the age fell less than the window ago. behind: past it and not falling
 * for at least the window. unknown: the history is shorter than the window and shows no fall.
 */
export type FreezingVerdict = 'not-due' | 'due' | 'keeping-up' | 'behind' | 'unknown';

export interface FreezingState {
  verdict: FreezingVerdict;
  /** Epoch ms of the first point of the current climb past autovacuum_freeze_max_age (without a fall), when past it. */
  since?: number;
  /** Points and seconds of history the verdict stands on: the climb when past the limit, the whole history otherwise. */
  points: number;
  spanSeconds: number;
  windowSeconds: number;
}

/** What a database's history says about what comes next. */
export interface DatabaseForecast {
  database: string;
  age: number;
  /** Every limit still ahead, nearest first. */
  etas: LimitEta[];
  freezing: FreezingState;
  /** How sure the ETAs are: the rate they stand on, fitted over `window` from `points` spanning `spanSeconds`. */
  rate?: { xidsPerSecond: number; window: RateWindow; points: number; spanSeconds: number };
}

/** Per database: the XIDs and seconds to each limit ahead at the fitted rate, and whether freezing keeps up. */
export function forecastDatabases(input: ForecastInput): DatabaseForecast[] {
  const windowSeconds = input.freezingWindowSeconds ?? FREEZING_WINDOW_SECONDS;
  return input.databases.map((d) => ({
    database: d.database,
    age: d.age,
    etas: etasOf(d.age, input.limits, input.fit),
    freezing: freezingOf(d, input.now, input.limits.autovacuum_freeze_max_age, windowSeconds),
    ...(input.fit && {
      rate: { xidsPerSecond: input.fit.xidsPerSecond, window: input.fit.window, points: input.fit.points, spanSeconds: input.fit.spanSeconds },
    }),
  }));
}

function etasOf(age: number, limits: XidLimits, fit: RateFit | undefined): LimitEta[] {
  const etas: LimitEta[] = [];
  for (const limit of LIMIT_NAMES) {
    const at = limits[limit];
    if (at === undefined || at <= age) continue;
    const remaining = at - age;
    const seconds = !fit ? undefined : fit.xidsPerSecond > 0 ? remaining / fit.xidsPerSecond : Infinity;
    etas.push({ limit, at, remaining, ...(seconds !== undefined && { seconds }) });
  }
  return etas;
}

/**
 * Near autovacuum_freeze_max_age alone is no fault: the age climbs to it and falls when autovacuum freezes. The
 * fault is staying past it without a fall, so the verdict looks back from now to where the current climb began,
 * the last crossing of the limit or the last fall.
 */
function freezingOf(d: DatabaseAges, now: number, freezeMaxAge: number | undefined, windowSeconds: number): FreezingState {
  const history = d.history.filter(([at, value]) => at <= now && Number.isFinite(at) && Number.isFinite(value));
  // The latest age belongs to the history even if the caller read it after the last stored point.
  if (history.length === 0 || history[history.length - 1]![1] !== d.age) history.push([now, d.age]);
  const spanOf = (points: Point[]) => (now - points[0]![0]) / 1000;
  if (freezeMaxAge === undefined || d.age <= freezeMaxAge) {
    return { verdict: freezeMaxAge === undefined ? 'unknown' : 'not-due', points: history.length, spanSeconds: spanOf(history), windowSeconds };
  }
  let start = history.length - 1;
  while (start > 0 && history[start - 1]![1] > freezeMaxAge && history[start - 1]![1] <= history[start]![1]) start--;
  const climb = history.slice(start);
  const spanSeconds = spanOf(climb);
  const state = { since: climb[0]![0], points: climb.length, spanSeconds, windowSeconds };
  if (spanSeconds >= windowSeconds) return { verdict: 'behind', ...state };
  if (start === 0) return { verdict: 'unknown', ...state };
  return { verdict: history[start - 1]![1] <= freezeMaxAge ? 'due' : 'keeping-up', ...state };
}
