import type { FindingEvent } from '../finding-event.js';
import type { LogEvent } from '../../logs/log-event.js';
import type { AlertRecord, StoredLogEvent } from '../history-store.js';

/** Table rows ↔ objects, the same for both stores (JSON columns are TEXT in both). */
export interface EventRow {
  cluster: string;
  key: string;
  opened_at: number | string;
  closed_at: number | string | null;
  check_id: string;
  severity: string;
  finding: string;
}

export function eventFromRow(row: EventRow): FindingEvent {
  return {
    cluster: row.cluster,
    key: row.key,
    check: row.check_id,
    severity: row.severity as FindingEvent['severity'],
    openedAt: Number(row.opened_at),
    ...(row.closed_at === null ? {} : { closedAt: Number(row.closed_at) }),
    finding: JSON.parse(row.finding) as FindingEvent['finding'],
  };
}

export function eventParams(e: FindingEvent): (string | number | null)[] {
  return [e.cluster, e.key, e.openedAt, e.closedAt ?? null, e.check, e.severity, JSON.stringify(e.finding)];
}

export interface AlertRow {
  fingerprint: string;
  at: number | string;
  cluster: string;
  name: string;
  status: string;
  labels: string;
  annotations: string;
  starts_at: number | string;
  ends_at: number | string | null;
}

export function alertFromRow(row: AlertRow): AlertRecord {
  return {
    fingerprint: row.fingerprint,
    at: Number(row.at),
    cluster: row.cluster,
    name: row.name,
    status: row.status as AlertRecord['status'],
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    startsAt: Number(row.starts_at),
    ...(row.ends_at === null ? {} : { endsAt: Number(row.ends_at) }),
  };
}

export function alertParams(a: AlertRecord): (string | number | null)[] {
  return [a.fingerprint, a.at, a.cluster, a.name, a.status, JSON.stringify(a.labels), JSON.stringify(a.annotations), a.startsAt, a.endsAt ?? null];
}

/** The label set a series was stored with (sample.ts labelKey). */
export function labelsOf(key: string): Record<string, string> {
  return Object.fromEntries(JSON.parse(key) as [string, string][]);
}

export interface LogEventRow {
  cluster: string;
  at: number | string;
  event: string;
}

export function logEventFromRow(row: LogEventRow): StoredLogEvent {
  return { cluster: row.cluster, at: Number(row.at), event: JSON.parse(row.event) as LogEvent };
}

export function logEventParams(e: StoredLogEvent): (string | number)[] {
  return [e.cluster, e.at, e.event.class, e.event.severity, redactPasswords(JSON.stringify(e.event))];
}

/**
 * A logged `CREATE/ALTER ROLE … PASSWORD '…'` (a slow or timed-out statement, say) keeps its password out of the
 * store, and so out of the API and the dashboard. Works on the JSON text: a quote inside is doubled ('') there too.
 */
export function redactPasswords(text: string): string {
  return text.replace(/(\bPASSWORD\s+)'(?:[^']|'')*'/gi, "$1'…'");
}
