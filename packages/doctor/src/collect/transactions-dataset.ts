import type { Dataset } from './dataset.js';

/** Transaction and session outcomes per database, from pg_stat_database. */
export interface TransactionsRow {
  datname: string;
  xact_commit: number | null;
  xact_rollback: number | null;
  deadlocks: number | null;
  /** Queries canceled by recovery conflicts (a standby's). */
  conflicts: number | null;
  stats_reset: Date | null;
  /** Seconds since stats_reset; null when the counters were never reset (they run since the cluster began). */
  seconds: number | null;
  /** 14+: sessions, and how many ended abandoned (client gone), by a FATAL error, or killed by an operator. */
  sessions: number | null;
  sessions_abandoned: number | null;
  sessions_fatal: number | null;
  sessions_killed: number | null;
}

const SQL = (sessions: string) => `SELECT d.datname, s.xact_commit::int8, s.xact_rollback::int8, s.deadlocks::int8, s.conflicts::int8, s.stats_reset,
    extract(epoch FROM clock_timestamp() - s.stats_reset)::float8 AS seconds, ${sessions}
  FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
  WHERE d.datallowconn ORDER BY d.datname`;

export const transactions: Dataset = {
  name: 'transactions',
  scope: 'cluster',
  sql: {
    120000: SQL('NULL::int8 AS sessions, NULL::int8 AS sessions_abandoned, NULL::int8 AS sessions_fatal, NULL::int8 AS sessions_killed'),
    140000: SQL('s.sessions::int8, s.sessions_abandoned::int8, s.sessions_fatal::int8, s.sessions_killed::int8'),
  },
};
