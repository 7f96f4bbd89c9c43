/**
 * The history schema, shared by the embedded store and the PostgreSQL store: series are named once (metric + label
 * set per cluster) and points refer to them by id, which keeps a point to about 20 bytes. Times are epoch ms.
 * Each entry is one migration; a store applies those it has not recorded in schema_migrations, in order.
 */
export interface Migration {
  version: number;
  /** Portable SQL, run by both stores. */
  sql: string;
  /** What differs: SQLite keeps points WITHOUT ROWID; PostgreSQL partitions them by day. */
  sqlite?: string;
  postgresql?: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    sql: `
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL,
  UNIQUE (cluster, metric, labels)
);
CREATE TABLE finding_events (
  cluster TEXT NOT NULL,
  key TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  closed_at BIGINT,
  check_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  finding TEXT NOT NULL,
  PRIMARY KEY (cluster, key, opened_at)
);
CREATE INDEX finding_events_open ON finding_events (cluster, closed_at);
CREATE TABLE alerts (
  fingerprint TEXT NOT NULL,
  at BIGINT NOT NULL,
  cluster TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  labels TEXT NOT NULL,
  annotations TEXT NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT
);
CREATE INDEX alerts_at ON alerts (at);`,
    // Observations land in points_recent in time order (one page written per observation) and move to points,
    // ordered by series, every few minutes: each series' page is then written once per move, not per observation.
    sqlite: `CREATE TABLE points (series_id INTEGER NOT NULL, t INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (series_id, t)) WITHOUT ROWID;
CREATE TABLE points_recent (t INTEGER NOT NULL, series_id INTEGER NOT NULL, v REAL NOT NULL, PRIMARY KEY (t, series_id)) WITHOUT ROWID;`,
    postgresql: `CREATE TABLE points (series_id INTEGER NOT NULL, t BIGINT NOT NULL, v DOUBLE PRECISION NOT NULL, PRIMARY KEY (series_id, t)) PARTITION BY RANGE (t);`,
  },
]);
