// Alertmanager's webhook message (notify/webhook Message, version "4"), so any receiver written for Alertmanager
// (PagerDuty bridges, chat relays, Alerta, Grafana OnCall…) takes mvcc-doctor's alerts unchanged.

/** One alert as a notification carries it. */
export interface AlertInstance {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Epoch ms. */
  startsAt: number;
  /** Epoch ms; set once resolved. */
  endsAt?: number;
  generatorURL: string;
}

/** The alerts of one group at one moment: every firing alert of the group, and those resolved since the last one. */
export interface Notification {
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: AlertInstance[];
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** The receiver name receivers see; Alertmanager puts its configured receiver's name here. */
export const RECEIVER = 'mvcc-doctor';

/** Go's zero time.Time: what Alertmanager sends as endsAt of a firing alert. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Alerts are grouped per cluster and alert name, like an Alertmanager route with group_by: [alertname, cluster]. */
export const GROUP_BY = ['alertname', 'cluster'] as const;

/** Alertmanager's group key: the route's matchers (`{}` for the root route), then the group labels as Go prints a LabelSet. */
export function groupKeyOf(groupLabels: Record<string, string>): string {
  // JSON.stringify quotes like Go's %q for every printable string; label values here are names and ids.
  const pairs = Object.keys(groupLabels).sort().map((name) => `${name}=${JSON.stringify(groupLabels[name])}`);
  return `{}:{${pairs.join(', ')}}`;
}

/** The message for one webhook POST. */
export function webhookMessage(notification: Notification, externalUrl: string): WebhookMessage {
  const alerts = [...notification.alerts].sort((a, b) => (labelsBefore(a.labels, b.labels) ? -1 : labelsBefore(b.labels, a.labels) ? 1 : 0));
  const wire = alerts.map(
    (a): WebhookAlert => ({
      status: a.endsAt === undefined ? 'firing' : 'resolved',
      labels: sorted(a.labels),
      annotations: sorted(a.annotations),
      startsAt: goTime(a.startsAt),
      endsAt: a.endsAt === undefined ? ZERO_TIME : goTime(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    }),
  );
  return {
    receiver: RECEIVER,
    status: wire.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: wire,
    groupLabels: sorted(notification.groupLabels),
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: externalUrl,
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: 0,
  };
}

/** The body as Go's json.Encoder writes it: HTML-sensitive characters escaped, a final newline. */
export function encodeMessage(message: WebhookMessage): string {
  const escapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  return `${JSON.stringify(message).replace(/[<>&\u2028\u2029]/g, (c) => escapes[c]!)}\n`;
}

/**
 * A newer notification for a group replaces one not yet delivered, keeping the older one's resolutions: the newer
 * lists every firing alert, but an alert resolved in between is only in the older one, and must not be lost.
 */
export function supersede(older: Notification, newer: Notification): Notification {
  const present = new Set(newer.alerts.map((a) => a.fingerprint));
  const resolved = older.alerts.filter((a) => a.endsAt !== undefined && !present.has(a.fingerprint));
  return { ...newer, alerts: [...newer.alerts, ...resolved] };
}

/** Where the alert links back to: the daemon's dashboard, on the finding's cluster and event. */
export function generatorUrl(externalUrl: string, cluster: string, key: string): string {
  // The dashboard's cluster page (hash route), with the finding's key for a reader who wants to find it there.
  return `${externalUrl.replace(/\/+$/, '')}/#/cluster/${encodeURIComponent(cluster)}?${new URLSearchParams({ finding: key }).toString()}`;
}

/** time.Time in JSON (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC. */
export function goTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Go marshals maps with sorted keys. */
function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]!]));
}

/** The pairs every set has with the same value (template.Data's CommonLabels / CommonAnnotations). */
function common(sets: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const key of Object.keys(first).sort()) {
    if (rest.every((s) => s[key] === first[key])) out[key] = first[key]!;
  }
  return out;
}

/** model.LabelSet.Before, the order Alertmanager sorts a notification's alerts in (when there is no job/instance label). */
function labelsBefore(a: Record<string, string>, b: Record<string, string>): boolean {
  const an = Object.keys(a);
  const bn = Object.keys(b);
  if (an.length !== bn.length) return an.length < bn.length;
  for (const name of [...an, ...bn].sort()) {
    const av = a[name];
    const bv = b[name];
    if (av === undefined) return true;
    if (bv === undefined) return false;
    if (av !== bv) return av < bv;
  }
  return false;
}
