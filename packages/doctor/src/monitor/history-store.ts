import type { LogEvent } from '../logs/log-event.js';
import type { FindingEvent } from './finding-event.js';
import type { Sample, Series } from './sample.js';

/** One observation of one cluster, as the store keeps it. */
export interface StoredObservation {
  cluster: string;
  /** Epoch ms. */
  at: number;
  samples: Sample[];
}

export interface SeriesQuery {
  cluster: string;
  metric: string;
  /** Epoch ms, inclusive. */
  from: number;
  to: number;
  /** Only series whose labels include these values. */
  labels?: Record<string, string>;
  /** Average points into buckets this many ms wide (the API asks for one so a chart gets a bounded number of points). */
  stepMs?: number;
}

export interface EventQuery {
  cluster?: string;
  /** Events open at any moment of [from, to] (epoch ms). */
  from?: number;
  to?: number;
}

/** A classified event of a target's server log, as the store keeps it. */
export interface StoredLogEvent {
  cluster: string;
  /** Epoch ms: the log's time for the event, else when the daemon read it. */
  at: number;
  event: LogEvent;
}

export interface LogEventQuery {
  cluster: string;
  /** Epoch ms, inclusive. */
  from: number;
  to: number;
  /** Only these classes. */
  classes?: string[];
  /** The newest this many (default 500). */
  limit?: number;
}

/** An alert notification as it was sent (or tried), for GET /api/alerts and the dashboard's alert history. */
export interface AlertRecord {
  /** Alertmanager fingerprint of the label set. */
  fingerprint: string;
  cluster: string;
  name: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt?: number;
  /** When this state was recorded. */
  at: number;
}

/**
 * Where `serve` keeps history: the embedded store in a directory, or a PostgreSQL database shared by several
 * daemons. Both keep the same tables; every method is safe to call concurrently.
 */
export interface HistoryStore {
  /** Record one observation's samples. */
  append(observation: StoredObservation): Promise<void>;
  /** Insert or update finding events (by cluster + key + openedAt). */
  saveEvents(events: FindingEvent[]): Promise<void>;
  saveAlert(alert: AlertRecord): Promise<void>;
  saveLogEvents(events: StoredLogEvent[]): Promise<void>;
  /** Newest first. */
  logEvents(query: LogEventQuery): Promise<StoredLogEvent[]>;
  series(query: SeriesQuery): Promise<Series[]>;
  events(query: EventQuery): Promise<FindingEvent[]>;
  /** Events still open for a cluster (a restarted daemon continues them instead of opening new ones). */
  openEvents(cluster: string): Promise<FindingEvent[]>;
  alerts(query: { cluster?: string; limit?: number }): Promise<AlertRecord[]>;
  /** Drop everything older than `before` (epoch ms). */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}
