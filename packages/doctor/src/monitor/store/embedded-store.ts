import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { DoctorError } from '../../connect/doctor-error.js';
import type { FindingEvent } from '../finding-event.js';
import type { AlertRecord, EventQuery, HistoryStore, SeriesQuery, StoredObservation } from '../history-store.js';
import { labelKey, type Series } from '../sample.js';
import { alertFromRow, alertParams, eventFromRow, eventParams, groupPoints, type AlertRow, type EventRow } from './row-codec.js';
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
  return new EmbeddedStore(db);
}

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
      const insert = this.sql('INSERT OR REPLACE INTO points (series_id, t, v) VALUES (?, ?, ?)');
      for (const s of observation.samples) insert.run(this.seriesId(observation.cluster, s.metric, labelKey(s.labels)), observation.at, s.value);
    });
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

  async series(q: SeriesQuery): Promise<Series[]> {
    const rows = this.sql(
      `SELECT s.labels, p.t, p.v FROM series s JOIN points p ON p.series_id = s.id
       WHERE s.cluster = ? AND s.metric = ? AND p.t BETWEEN ? AND ? ORDER BY s.id, p.t`,
    ).all(q.cluster, q.metric, q.from, q.to) as { labels: string; t: number; v: number }[];
    const series = groupPoints(rows);
    return q.labels ? series.filter((s) => Object.entries(q.labels!).every(([k, v]) => s.labels[k] === v)) : series;
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
    });
  }

  async close(): Promise<void> {
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
