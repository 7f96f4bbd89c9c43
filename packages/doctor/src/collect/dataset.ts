import type { Session } from '../connect/safe-session.js';
/** A privilege a role may lack; a dataset that needs it is skipped (not failed) without it. */
export type Privilege = 'pg_read_all_stats' | 'superuser';

/**
 * One catalog query whose rows several checks read. SQL is keyed by the minimum server_version_num it runs
 * on; the highest key not above the server's version wins, and no key means "not applicable here".
 */
export interface Dataset {
  name: string;
  /** "cluster": once, on the first database; "database": on every database that accepts connections. */
  scope: 'cluster' | 'database';
  sql: Record<number, string>;
  /** What a role needs to see every row; without it the checks using this dataset are skipped. */
  needs?: Privilege;
  /** Query parameters, computed from the cluster datasets (thresholds, say). */
  params?: (cluster: Record<string, unknown[]>) => unknown[];
  /**
   * It reads a lot (the size of every relation, scans through an extension): `check` reads it, the daemon's periodic
   * looks and the rescue do not (CollectOptions.costly).
   */
  costly?: boolean;
  /** A second step on the same session over the rows read (measure some exactly, read an extension's view…). */
  refine?: (session: Session, rows: unknown[]) => Promise<unknown[]>;
}

export function sqlFor(dataset: Dataset, versionNum: number): string | undefined {
  const key = Object.keys(dataset.sql)
    .map(Number)
    .filter((min) => min <= versionNum)
    .sort((a, b) => b - a)[0];
  return key === undefined ? undefined : dataset.sql[key];
}
