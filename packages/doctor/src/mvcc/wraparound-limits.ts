import type { Severity } from '../engine/finding.js';
import type { XidRate } from '../collect/snapshot.js';
import { formatCount, formatDuration } from '../report/format.js';
import { etaRate, type LongRunRate } from './xid-rate-evidence.js';

/** Ages at which PostgreSQL acts, for XIDs or MultiXacts (varsup.c / multixact.c SetTransactionIdLimit). */
export interface AgeLimits {
  /** autovacuum_freeze_max_age: anti-wraparound autovacuum starts. */
  autovacuum: number;
  /** vacuum_failsafe_age (14+): VACUUM drops everything but freezing. */
  failsafe?: number;
  /** "must be vacuumed within N transactions" warnings start. */
  warn: number;
  /** New IDs are refused. */
  stop: number;
  /** Wraparound itself: data would vanish. */
  wrap: number;
}

const HALF_SPACE = 2 ** 31 - 1;

/** PostgreSQL 14 widened the margins to 40M (warn) and 3M (stop); before, they were 10M and 1M. */
export function ageLimits(versionNum: number, autovacuum: number, failsafe?: number): AgeLimits {
  const wide = versionNum >= 140000;
  return {
    autovacuum,
    failsafe: versionNum >= 140000 ? failsafe : undefined,
    warn: HALF_SPACE - (wide ? 40_000_000 : 10_000_000),
    stop: HALF_SPACE - (wide ? 3_000_000 : 1_000_000),
    wrap: HALF_SPACE,
  };
}

export type Zone = 'ok' | 'autovacuum' | 'failsafe' | 'warn' | 'stop';

/** How serious each zone is, for XIDs and MultiXacts alike: past the failsafe age it is critical. */
export const ZONE_SEVERITY: Record<Zone, Severity | undefined> = { ok: undefined, autovacuum: 'warning', failsafe: 'critical', warn: 'critical', stop: 'critical' };

export function zoneOf(age: number, limits: AgeLimits): Zone {
  if (age >= limits.stop) return 'stop';
  if (age >= limits.warn) return 'warn';
  if (limits.failsafe !== undefined && age >= limits.failsafe) return 'failsafe';
  if (age > limits.autovacuum) return 'autovacuum';
  return 'ok';
}

/**
 * Remaining IDs and time to each limit still ahead. The ETA comes from the sample, or from the longer run
 * when that is what saw IDs go by ("at the rate of the last 4m"); it says "never" only when a longer run
 * saw none, and "unknown" when a short sample saw none and nothing else was there to ask.
 */
export function timeLeft(age: number, limits: AgeLimits, rate: XidRate | undefined, longRun?: LongRunRate): { limit: string; remaining: number; eta: string }[] {
  const ahead: [string, number | undefined][] = [
    ['autovacuum_freeze_max_age', limits.autovacuum],
    ['failsafe', limits.failsafe],
    ['warning', limits.warn],
    ['stop', limits.stop],
  ];
  const chosen = etaRate(rate, longRun);
  const eta = (remaining: number): string => {
    if (chosen && chosen.xidsPerSecond > 0) return `${chosen.atMost ? 'at least ' : ''}${formatDuration(remaining / chosen.xidsPerSecond)}${chosen.suffix}`;
    const quiet = longRun?.seconds ?? (rate?.source === 'history' ? rate.sampleSeconds : undefined);
    if (quiet !== undefined) return `never at the rate of the last ${formatDuration(quiet)} (0/s)`;
    return rate ? `unknown (none consumed during the ${rate.sampleSeconds.toFixed(1)} s sample)` : 'unknown (no --sample)';
  };
  return ahead
    .filter((entry): entry is [string, number] => entry[1] !== undefined && entry[1] > age)
    .map(([limit, at]) => ({ limit, remaining: at - age, eta: eta(at - age) }));
}

export function describeRate(rate: XidRate | undefined, unit = 'XIDs'): string {
  if (!rate) return 'rate not measured';
  return `${formatCount(rate.xidsPerSecond)} ${unit}/s over ${rate.sampleSeconds.toFixed(1)}s`;
}
