import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { describeTarget, type ConnOptions } from '../../connect/conn-options.js';
import { pgErrorOf } from '../../connect/pg-error.js';
import type { FindingEvent } from '../finding-event.js';
import type { AlertRecord, EventQuery, HistoryStore, LogEventQuery, SeriesQuery, StoredLogEvent, StoredObservation } from '../history-store.js';
import { labelKey, type Sample, type Series } from '../sample.js';
import { dayBounds, dayOf, dayOfPartition, partitionName } from './day-partitions.js';
import { migrateStore } from './postgres-migrate.js';
import { alertFromRow, alertParams, eventFromRow, eventParams, labelsOf, logEventFromRow, logEventParams, type AlertRow, type EventRow, type LogEventRow } from './row-codec.js';
import { STORE_SCHEMA, StorePool } from './store-pool.js';

export interface PostgresStoreOptions {
  /** Where the store reports what it did (migrations, dropped partitions) and what went wrong in the background. */
  log?: (line: string) => void;
  /** statement_timeout of the store's sessions, ms. Default 30 s. */
  statementTimeoutMs?: number;
  /** lock_timeout of the store's sessions, ms. Default 2 s. */
  lockTimeoutMs?: number;
}

/**
 * History in a PostgreSQL database that several daemons share, each writing its own clusters (told apart by name):
 * everything in the schema mvcc_doctor, migrated on open, points partitioned by day. Errors are one-line
 * DoctorErrors that never carry the password.
 */
export async function openPostgresStore(conn: ConnOptions, options: PostgresStoreOptions = {}): Promise<HistoryStore> {
  const log = options.log ?? (() => undefined);
  const pool = new StorePool(conn, {
    max: 4,
    statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    lockTimeoutMs: options.lockTimeoutMs ?? 2_000,
    log,
  });
  try {
    const applied = await migrateStore(pool);
    if (applied.length > 0) log(`history store ${describeTarget(conn)}: schema ${STORE_SCHEMA} migrated to version ${applied.at(-1)}`);
    const store = new PostgresStore(pool, log);
    await store.loadPartitions();
    return store;
  } catch (error) {
    await pool.close();
    throw error;
  }
}

/** no partition of relation "points" found for row: another daemon's retention dropped the day we thought we had. */
const NO_PARTITION = '23514';
/** A concurrent daemon created the same partition between our IF NOT EXISTS and our CREATE. */
const ALREADY_CREATED = new Set(['42P07', '23505']);

class PostgresStore implements HistoryStore {
  private readonly seriesIds = new Map<string, number>();
  /** Days whose partition exists: partition DDL only happens once a day, and a day ahead. */
  private readonly days = new Set<number>();

  constructor(
    private readonly pool: StorePool,
    private readonly log: (line: string) => void,
  ) {}

  async loadPartitions(): Promise<void> {
    for (const { day } of await this.partitions()) this.days.add(day);
  }

  async append(observation: StoredObservation): Promise<void> {
    if (observation.samples.length === 0) return;
    const ids = await this.idsOf(observation.cluster, observation.samples);
    // One value per series and moment, the last one winning, as the embedded store's INSERT OR REPLACE keeps it.
    const values = new Map<number, number>();
    observation.samples.forEach((s, i) => values.set(ids[i]!, s.value));
    const insert = () =>
      this.pool.query(
        `INSERT INTO points (series_id, t, v) SELECT u.series_id, $2, u.v FROM unnest($1::integer[], $3::double precision[]) AS u(series_id, v)
         ON CONFLICT (series_id, t) DO UPDATE SET v = excluded.v`,
        [[...values.keys()], observation.at, [...values.values()]],
      );
    const day = dayOf(observation.at);
    await this.ensureDays([day, day + 1]);
    try {
      await insert();
    } catch (error) {
      if (pgErrorOf(error).code !== NO_PARTITION) throw error;
      this.days.delete(day);
      await this.ensureDays([day]);
      await insert();
    }
  }

  async saveEvents(events: FindingEvent[]): Promise<void> {
    // ON CONFLICT cannot touch one row twice in a statement: the last version of an event wins, as it would in turn.
    const latest = new Map(events.map((e) => [`${e.cluster}\u0000${e.key}\u0000${e.openedAt}`, e]));
    if (latest.size === 0) return;
    const rows = [...latest.values()].map(eventParams);
    const columns = rows[0]!.map((_, i) => rows.map((r) => r[i]));
    await this.pool.query(
      `INSERT INTO finding_events (cluster, key, opened_at, closed_at, check_id, severity, finding)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT (cluster, key, opened_at) DO UPDATE SET closed_at = excluded.closed_at, severity = excluded.severity, finding = excluded.finding`,
      columns,
    );
  }

  async saveAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO alerts (fingerprint, at, cluster, name, status, labels, annotations, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      alertParams(alert),
    );
  }

  async saveLogEvents(events: StoredLogEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(logEventParams);
    const columns = rows[0]!.map((_, i) => rows.map((r) => r[i]));
    await this.pool.query(
      'INSERT INTO log_events (cluster, at, class, severity, event) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])',
      columns,
    );
  }

  async logEvents(q: LogEventQuery): Promise<StoredLogEvent[]> {
    const rows = await this.pool.query<LogEventRow>(
      `SELECT cluster, at, event FROM log_events WHERE cluster = $1 AND at BETWEEN $2 AND $3
       AND ($4::text[] IS NULL OR class = ANY($4::text[])) ORDER BY at DESC LIMIT $5`,
      [q.cluster, q.from, q.to, q.classes ?? null, q.limit ?? 500],
    );
    return rows.map(logEventFromRow);
  }

  async series(q: SeriesQuery): Promise<Series[]> {
    const named = await this.pool.query<{ id: number; labels: string }>('SELECT id, labels FROM series WHERE cluster = $1 AND metric = $2 ORDER BY id', [q.cluster, q.metric]);
    const wanted = named
      .map((s) => ({ id: s.id, labels: labelsOf(s.labels) }))
      .filter((s) => !q.labels || Object.entries(q.labels).every(([k, v]) => s.labels[k] === v));
    if (wanted.length === 0) return [];
    // Along the primary key (series_id, t) of only the days in [from, to].
    const step = q.stepMs ? Math.max(1, Math.floor(q.stepMs)) : undefined;
    const rows = await this.pool.query<{ series_id: number; t: string; v: number }>(
      step
        ? 'SELECT series_id, (t / $4) * $4 AS t, avg(v) AS v FROM points WHERE series_id = ANY($1::integer[]) AND t BETWEEN $2 AND $3 GROUP BY 1, 2 ORDER BY 1, 2'
        : 'SELECT series_id, t, v FROM points WHERE series_id = ANY($1::integer[]) AND t BETWEEN $2 AND $3 ORDER BY series_id, t',
      step ? [wanted.map((s) => s.id), q.from, q.to, step] : [wanted.map((s) => s.id), q.from, q.to],
    );
    const points = new Map<number, [number, number][]>();
    for (const row of rows) {
      let list = points.get(row.series_id);
      if (!list) points.set(row.series_id, (list = []));
      list.push([Number(row.t), row.v]);
    }
    return wanted.filter((s) => points.has(s.id)).map((s) => ({ labels: s.labels, points: points.get(s.id)! }));
  }

  async events(q: EventQuery): Promise<FindingEvent[]> {
    const rows = await this.pool.query<EventRow>(
      `SELECT * FROM finding_events WHERE ($1::text IS NULL OR cluster = $1) AND opened_at <= $2 AND (closed_at IS NULL OR closed_at >= $3)
       ORDER BY opened_at DESC LIMIT 5000`,
      [q.cluster ?? null, q.to ?? Number.MAX_SAFE_INTEGER, q.from ?? 0],
    );
    return rows.map(eventFromRow);
  }

  async openEvents(cluster: string): Promise<FindingEvent[]> {
    const rows = await this.pool.query<EventRow>('SELECT * FROM finding_events WHERE cluster = $1 AND closed_at IS NULL', [cluster]);
    return rows.map(eventFromRow);
  }

  async alerts(q: { cluster?: string; limit?: number }): Promise<AlertRecord[]> {
    const rows = await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE ($1::text IS NULL OR cluster = $1) ORDER BY at DESC LIMIT $2', [q.cluster ?? null, q.limit ?? 500]);
    return rows.map(alertFromRow);
  }

  /**
   * Points go a whole day at a time: a partition is dropped once all of it is older than `before` (so up to a day
   * more is kept than the embedded store keeps). Every daemon prunes every cluster's history: one retention.
   */
  async prune(before: number): Promise<void> {
    const old = (await this.partitions()).filter((p) => dayBounds(p.day).to <= before);
    for (const p of old) {
      this.days.delete(p.day);
      await this.pool.query(`DROP TABLE IF EXISTS ${quoteIdent(p.name)}`);
    }
    if (old.length > 0) this.log(`history store: dropped ${old.length} day partition${old.length === 1 ? '' : 's'} of points older than ${new Date(before).toISOString()}`);
    await this.pool.query('DELETE FROM finding_events WHERE closed_at < $1', [before]);
    await this.pool.query('DELETE FROM alerts WHERE at < $1', [before]);
    await this.pool.query('DELETE FROM log_events WHERE at < $1', [before]);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** The ids of the samples' series (in their order), named in the store on first sight; concurrent daemons agree. */
  private async idsOf(cluster: string, samples: Sample[]): Promise<number[]> {
    const keys = samples.map((s) => ({ metric: s.metric, labels: labelKey(s.labels) }));
    const cacheKey = (metric: string, labels: string) => `${cluster}\u0000${metric}\u0000${labels}`;
    // A series another daemon names at the same moment is invisible to this statement's snapshot and skipped by
    // ON CONFLICT: the next round finds it.
    for (let round = 0; round < 3; round++) {
      const missing = [...new Map(keys.filter((k) => !this.seriesIds.has(cacheKey(k.metric, k.labels))).map((k) => [cacheKey(k.metric, k.labels), k])).values()];
      if (missing.length === 0) break;
      const rows = await this.pool.query<{ id: number; metric: string; labels: string }>(
        // Ids in the samples' order, as the embedded store gives them: the API lists series by id.
        `WITH wanted AS (SELECT * FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS w(metric, labels, n)),
         named AS (
           INSERT INTO series (cluster, metric, labels)
           SELECT $1, w.metric, w.labels FROM wanted w
           WHERE NOT EXISTS (SELECT FROM series s WHERE s.cluster = $1 AND s.metric = w.metric AND s.labels = w.labels)
           ORDER BY w.n
           ON CONFLICT (cluster, metric, labels) DO NOTHING
           RETURNING id, metric, labels)
         SELECT id, metric, labels FROM named
         UNION ALL
         SELECT s.id, s.metric, s.labels FROM series s JOIN wanted w ON s.metric = w.metric AND s.labels = w.labels WHERE s.cluster = $1`,
        [cluster, missing.map((k) => k.metric), missing.map((k) => k.labels)],
      );
      for (const row of rows) this.seriesIds.set(cacheKey(row.metric, row.labels), row.id);
    }
    return keys.map((k) => {
      const id = this.seriesIds.get(cacheKey(k.metric, k.labels));
      if (id === undefined) throw new Error(`history store: could not name the series ${k.metric}${k.labels} of ${cluster}`);
      return id;
    });
  }

  private async ensureDays(days: number[]): Promise<void> {
    for (const day of days.filter((d) => !this.days.has(d))) {
      const { from, to } = dayBounds(day);
      try {
        await this.pool.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(partitionName(day))} PARTITION OF points FOR VALUES FROM (${from}) TO (${to})`);
      } catch (error) {
        if (!ALREADY_CREATED.has(pgErrorOf(error).code ?? '')) throw error;
      }
      this.days.add(day);
    }
  }

  /** Our day partitions of points, whoever created them. */
  private async partitions(): Promise<{ name: string; day: number }[]> {
    const rows = await this.pool.query<{ name: string }>(
      'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)',
      [`${quoteIdent(STORE_SCHEMA)}.points`],
    );
    return rows.flatMap((r) => {
      const day = dayOfPartition(r.name);
      return day === undefined ? [] : [{ name: r.name, day }];
    });
  }
}
