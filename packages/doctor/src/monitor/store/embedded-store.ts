import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { DoctorError } from '../../connect/doctor-error.js';
import type { FindingEvent } from '../finding-event.js';
import type { AlertRecord, EventQuery, HistoryStore, LogEventQuery, SeriesQuery, StoredLogEvent, StoredObservation } from '../history-store.js';
import { labelKey, type Series } from '../sample.js';
import { alertFromRow, alertParams, eventFromRow, eventParams, labelsOf, logEventFromRow, logEventParams, type AlertRow, type EventRow, type LogEventRow } from './row-codec.js';
import { MIGRATIONS } from './schema.js';

export const EMBEDDED_FILE = 'history.sqlite';

/**
 * History in a directory, with SQLite as Node.js ships it (node:sqlite, 22.13+): no server, no native build, one file.
 * WAL with synchronous=NORMAL: a committed observation survives `kill -9` of the daemon; only the one being
 * written is lost. Calls are synchronous underneath (microseconds to a few ms per observation).
 */
export function openEmbeddedStore(dir: string): HistoryStore {
  const db = openDatabase(dir);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000');
  migrate(db);
  const store = new EmbeddedStore(db);
  store.compact();
  return store;
}

/** How long observations stay in points_recent before they move to points. */
const COMPACT_EVERY_MS = 5 * 60_000;

function openDatabase(dir: string): DatabaseSync {
  let sqlite: typeof import('node:sqlite');
  try {
    // Not a static import: Node 20 has no node:sqlite, and check/freeze must still load there.
    sqlite = createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } catch {
    throw new DoctorError(
      'not-installed',
      `the embedded history store needs Node.js 22.13 or newer (node:sqlite); this is ${process.version}: upgrade, or keep history in PostgreSQL with --store postgresql://…`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });
    return new sqlite.DatabaseSync(join(dir, EMBEDDED_FILE));
  } catch (error) {
    throw new DoctorError('usage', `cannot open the history in ${dir}: ${(error as Error).message}`);
  }
}

function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').all().map((r) => Number(r.version)));
  for (const m of MIGRATIONS.filter((m) => !done.has(m.version))) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql + (m.sqlite ?? ''));
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(m.version, Date.now());
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}

class EmbeddedStore implements HistoryStore {
  private readonly seriesIds = new Map<string, number>();
  private readonly statements = new Map<string, StatementSync>();
  private compactedAt = Date.now();

  constructor(private readonly db: DatabaseSync) {}

  private sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  private seriesId(cluster: string, metric: string, labels: string): number {
    const key = `${cluster}\u0000${metric}\u0000${labels}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      this.sql('INSERT INTO series (cluster, metric, labels) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(cluster, metric, labels);
      id = Number(this.sql('SELECT id FROM series WHERE cluster = ? AND metric = ? AND labels = ?').get(cluster, metric, labels)!.id);
      this.seriesIds.set(key, id);
    }
    return id;
  }

  async append(observation: StoredObservation): Promise<void> {
    this.transaction(() => {
      const insert = this.sql('INSERT OR REPLACE INTO points_recent (t, series_id, v) VALUES (?, ?, ?)');
      for (const s of observation.samples) insert.run(observation.at, this.seriesId(observation.cluster, s.metric, labelKey(s.labels)), s.value);
    });
    if (Date.now() - this.compactedAt >= COMPACT_EVERY_MS) this.compact();
  }

  /** Move points_recent into points, series by series (also what a crashed daemon left there). */
  compact(): void {
    this.transaction(() => {
      this.sql('INSERT OR REPLACE INTO points (series_id, t, v) SELECT series_id, t, v FROM points_recent ORDER BY series_id, t').run();
      this.sql('DELETE FROM points_recent').run();
    });
    this.compactedAt = Date.now();
  }

  async saveEvents(events: FindingEvent[]): Promise<void> {
    this.transaction(() => {
      const upsert = this.sql(
        `INSERT INTO finding_events (cluster, key, opened_at, closed_at, check_id, severity, finding) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (cluster, key, opened_at) DO UPDATE SET closed_at = excluded.closed_at, severity = excluded.severity, finding = excluded.finding`,
      );
      for (const e of events) upsert.run(...eventParams(e));
    });
  }

  async saveAlert(alert: AlertRecord): Promise<void> {
    this.sql('INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(...alertParams(alert));
  }

  async saveLogEvents(events: StoredLogEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.transaction(() => {
      const insert = this.sql('INSERT INTO log_events (cluster, at, class, severity, event) VALUES (?, ?, ?, ?, ?)');
      for (const e of events) insert.run(...logEventParams(e));
    });
  }

  async logEvents(q: LogEventQuery): Promise<StoredLogEvent[]> {
    const rows = this.sql(
      `SELECT cluster, at, event FROM log_events WHERE cluster = ? AND at BETWEEN ? AND ?
       AND (? IS NULL OR class IN (SELECT value FROM json_each(?))) ORDER BY at DESC LIMIT ?`,
    ).all(q.cluster, q.from, q.to, q.classes ? 1 : null, JSON.stringify(q.classes ?? []), q.limit ?? 500) as unknown as LogEventRow[];
    return rows.map(logEventFromRow);
  }

  async series(q: SeriesQuery): Promise<Series[]> {
    const candidates = this.sql('SELECT id, labels FROM series WHERE cluster = ? AND metric = ? ORDER BY id').all(q.cluster, q.metric) as { id: number; labels: string }[];
    const both = `SELECT t, v FROM points WHERE series_id = ?1 AND t BETWEEN ?2 AND ?3
      UNION ALL SELECT t, v FROM points_recent WHERE series_id = ?1 AND t BETWEEN ?2 AND ?3`;
    const points = q.stepMs
      ? this.sql(`SELECT (t / CAST(?4 AS INTEGER)) * CAST(?4 AS INTEGER) AS t, avg(v) AS v FROM (${both}) GROUP BY 1 ORDER BY 1`)
      : this.sql(`SELECT t, v FROM (${both}) ORDER BY t`);
    const out: Series[] = [];
    for (const { id, labels: key } of candidates) {
      const labels = labelsOf(key);
      if (q.labels && !Object.entries(q.labels).every(([k, v]) => labels[k] === v)) continue;
      const step = q.stepMs ? [Math.max(1, Math.floor(q.stepMs))] : [];
      const rows = points.all(id, q.from, q.to, ...step) as { t: number; v: number }[];
      if (rows.length > 0) out.push({ labels, points: rows.map((r) => [Number(r.t), r.v]) });
    }
    return out;
  }

  async events(q: EventQuery): Promise<FindingEvent[]> {
    const rows = this.sql(
      `SELECT * FROM finding_events WHERE (? IS NULL OR cluster = ?) AND opened_at <= ? AND (closed_at IS NULL OR closed_at >= ?)
       ORDER BY opened_at DESC LIMIT 5000`,
    ).all(q.cluster ?? null, q.cluster ?? null, q.to ?? Number.MAX_SAFE_INTEGER, q.from ?? 0) as unknown as EventRow[];
    return rows.map(eventFromRow);
  }

  async openEvents(cluster: string): Promise<FindingEvent[]> {
    const rows = this.sql('SELECT * FROM finding_events WHERE cluster = ? AND closed_at IS NULL').all(cluster) as unknown as EventRow[];
    return rows.map(eventFromRow);
  }

  async alerts(q: { cluster?: string; limit?: number }): Promise<AlertRecord[]> {
    const rows = this.sql('SELECT * FROM alerts WHERE (? IS NULL OR cluster = ?) ORDER BY at DESC LIMIT ?').all(
      q.cluster ?? null,
      q.cluster ?? null,
      q.limit ?? 500,
    ) as unknown as AlertRow[];
    return rows.map(alertFromRow);
  }

  async prune(before: number): Promise<void> {
    this.transaction(() => {
      // Series by series, along the primary key: a bare `t < ?` would scan every point.
      const prunePoints = this.sql('DELETE FROM points WHERE series_id = ? AND t < ?');
      for (const { id } of this.sql('SELECT id FROM series').all()) prunePoints.run(Number(id), before);
      this.sql('DELETE FROM finding_events WHERE closed_at < ?').run(before);
      this.sql('DELETE FROM alerts WHERE at < ?').run(before);
      this.sql('DELETE FROM log_events WHERE at < ?').run(before);
    });
  }

  async close(): Promise<void> {
    this.compact();
    this.db.close();
  }

  private transaction(work: () => void): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }
}
