import { DoctorError } from '../connect/doctor-error.js';

/** When a condition becomes a finding. Defaults suit production; tests and the demo lower them. */
export interface Thresholds {
  /** An idle-in-transaction session pinning the horizon is a warning after this many seconds, critical after 12x. */
  idleInTransactionSeconds: number;
  /** A transaction pinning the horizon is a warning after this many seconds, critical after 12x. */
  longTransactionSeconds: number;
  /** A prepared transaction is reported after this many seconds. */
  preparedTransactionSeconds: number;
  /** The horizon is reported when its oldest holder is this many XIDs behind or holds this long. */
  horizonXids: number;
  horizonSeconds: number;
  /** A lock wait is reported after this many seconds (a queue behind DDL always is). */
  lockWaitSeconds: number;
  /** Dead tuples worth reporting. */
  deadTuples: number;
  /** An inactive slot or a standby holding xmin is reported past this many XIDs of age. */
  slotXids: number;
  /** WAL a slot may retain before it is reported. */
  slotRetainedBytes: number;
  /** A table or index is a bloat warning when it wastes this many bytes and this share of its size (both). */
  bloatWarningBytes: number;
  bloatWarningPercent: number;
  /** … and critical past both of these. */
  bloatCriticalBytes: number;
  bloatCriticalPercent: number;
  /** A statement averaging this many ms is reported (pg_stat_statements). */
  queryMeanMs: number;
  /** The statements that took the most time are shown once this many seconds of execution are recorded. */
  queryTotalSeconds: number;
  /** A database whose transactions roll back this often (percent, with at least 1,000 rollbacks) is reported. */
  rollbackPercent: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  idleInTransactionSeconds: 60,
  longTransactionSeconds: 300,
  preparedTransactionSeconds: 60,
  horizonXids: 10_000_000,
  horizonSeconds: 600,
  lockWaitSeconds: 5,
  deadTuples: 10_000,
  slotXids: 1_000_000,
  slotRetainedBytes: 1024 ** 3,
  bloatWarningBytes: 100 * 1024 ** 2,
  bloatWarningPercent: 30,
  bloatCriticalBytes: 1024 ** 3,
  bloatCriticalPercent: 50,
  queryMeanMs: 1000,
  queryTotalSeconds: 3600,
  rollbackPercent: 10,
});

/** One line per threshold, for the generated check docs (docs/checks). */
export const THRESHOLD_DOCS: Record<keyof Thresholds, string> = Object.freeze({
  idleInTransactionSeconds: 'seconds idle in transaction before a session that pins the horizon or holds relation locks is a warning (critical after 12x, and never before ten minutes)',
  longTransactionSeconds: 'seconds before a transaction pinning the horizon is a warning (critical after 12x, and never before ten minutes)',
  preparedTransactionSeconds: 'seconds before a prepared transaction is reported (sooner when it harms a database near wraparound)',
  horizonXids: 'XIDs the oldest horizon holder may hold back before it is reported',
  horizonSeconds: 'seconds the oldest horizon holder may hold before it is reported',
  lockWaitSeconds: 'seconds a lock wait may last before it is reported (a queue behind DDL always is)',
  deadTuples: 'dead tuples in a table worth reporting',
  slotXids: 'XIDs of age an inactive slot or a standby may hold before it is reported',
  slotRetainedBytes: 'bytes of WAL a slot may retain before it is reported',
  bloatWarningBytes: 'bytes a table or index must waste to be a warning (with bloatWarningPercent)',
  bloatWarningPercent: 'percent of its size a table or index must waste to be a warning (with bloatWarningBytes)',
  bloatCriticalBytes: 'bytes a table or index must waste to be critical (with bloatCriticalPercent)',
  bloatCriticalPercent: 'percent of its size a table or index must waste to be critical (with bloatCriticalBytes)',
  queryMeanMs: 'mean execution time in ms from which a statement is reported as slow',
  queryTotalSeconds: 'seconds of execution pg_stat_statements must have recorded before the busiest statements are shown',
  rollbackPercent: 'percent of transactions rolled back (with at least 1,000 rollbacks) from which a database is reported',
});

/** `--threshold NAME=NUMBER` pairs (check and serve), each NAME one of the Thresholds. */
export function parseThresholds(pairs: string[]): Partial<Thresholds> {
  const result: Partial<Thresholds> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1).trim();
    if (at < 1 || !(name in DEFAULT_THRESHOLDS) || value === '' || !Number.isFinite(Number(value))) {
      throw new DoctorError('usage', `--threshold takes NAME=NUMBER with NAME one of ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`);
    }
    result[name as keyof Thresholds] = Number(value);
  }
  return result;
}
