import type { FindingEvent } from '../finding-event.js';
import type { AlertRecord } from '../history-store.js';
import { alertOf } from './alert-rules.js';
import { fingerprint } from './fingerprint.js';
import { generatorUrl, GROUP_BY, groupKeyOf, type AlertInstance, type Notification } from './webhook-payload.js';

export interface AlertStateOptions {
  /** How long a finding stays open before its alert fires (Prometheus `for`). */
  alertForMs: number;
  /** How often a group with firing alerts is notified again while nothing changes (Alertmanager repeat_interval). */
  repeatIntervalMs: number;
  /** The daemon's own URL, for each alert's generatorURL. */
  externalUrl: string;
}

/** What one update changed: a record per alert that fired or resolved, and the notifications to send. */
export interface AlertChanges {
  records: AlertRecord[];
  notifications: Notification[];
}

interface Firing extends AlertInstance {
  cluster: string;
  /** The finding event's key: the alert of a finding whose severity changes is replaced, not added to. */
  key: string;
  groupKey: string;
  /** When it was recorded as firing. */
  firedAt: number;
}

interface Group {
  cluster: string;
  groupLabels: Record<string, string>;
  /** Resolved since the last notification. */
  resolved: AlertInstance[];
  /** Fingerprints of the firing alerts the last notification carried. */
  sentFiring: Set<string>;
  sentAt: number;
}

/**
 * The alerting state, without any I/O: which findings fire (open for alertForMs), which resolved (no longer open),
 * and when a group must be notified: an alert fired or resolved since the last notification, or repeatIntervalMs
 * has passed with alerts still firing. An unchanged state is never notified twice.
 */
export function createAlertState(options: AlertStateOptions) {
  const firing = new Map<string, Map<string, Firing>>(); // cluster → event key → alert
  const groups = new Map<string, Group>();

  function update(cluster: string, open: FindingEvent[], now: number): AlertChanges {
    const records: AlertRecord[] = [];
    const current = firing.get(cluster) ?? new Map<string, Firing>();
    const due = new Map<string, { event: FindingEvent; labels: Record<string, string>; annotations: Record<string, string> }>();
    for (const event of open) {
      if (event.cluster !== cluster || event.openedAt + options.alertForMs > now) continue;
      const content = alertOf(cluster, event.finding);
      if (content) due.set(event.key, { event, ...content });
    }

    const replaced = new Set<string>();
    for (const [key, alert] of current) {
      const next = due.get(key);
      if (next && fingerprint(next.labels) === alert.fingerprint) continue;
      if (next) replaced.add(key);
      current.delete(key);
      const resolved: AlertInstance = { ...instanceOf(alert), endsAt: now };
      groupOf(alert.groupKey, cluster, alert.labels, now).resolved.push(resolved);
      records.push(recordOf(cluster, resolved, 'resolved', now));
    }

    for (const [key, { event, labels, annotations }] of due) {
      const known = current.get(key);
      if (known) {
        known.annotations = annotations; // numbers in the summary move; the latest go out with the next notification
        continue;
      }
      // A finding that changed severity while firing is a new alert from now; otherwise it fired when alertFor ran out.
      const groupLabels = Object.fromEntries(GROUP_BY.map((name) => [name, labels[name]!]));
      const alert: Firing = {
        cluster,
        key,
        groupKey: groupKeyOf(groupLabels),
        fingerprint: fingerprint(labels),
        labels,
        annotations,
        startsAt: replaced.has(key) ? now : event.openedAt + options.alertForMs,
        generatorURL: generatorUrl(options.externalUrl, cluster, key),
        firedAt: now,
      };
      current.set(key, alert);
      groupOf(alert.groupKey, cluster, labels, now);
      records.push(recordOf(cluster, alert, 'firing', now));
    }
    if (current.size > 0) firing.set(cluster, current);
    else firing.delete(cluster);

    return { records, notifications: notify(cluster, current, now) };
  }

  /** One notification per group of the cluster that changed or is due for a repeat. */
  function notify(cluster: string, current: Map<string, Firing>, now: number): Notification[] {
    const notifications: Notification[] = [];
    for (const [groupKey, group] of groups) {
      if (group.cluster !== cluster) continue;
      const members = [...current.values()].filter((a) => a.groupKey === groupKey);
      const changed = group.resolved.length > 0 || members.some((a) => !group.sentFiring.has(a.fingerprint));
      const repeat = members.length > 0 && now - group.sentAt >= options.repeatIntervalMs;
      if (changed || repeat) {
        notifications.push({ groupKey, groupLabels: group.groupLabels, alerts: [...members.map(instanceOf), ...group.resolved] });
        group.resolved = [];
        group.sentFiring = new Set(members.map((a) => a.fingerprint));
        group.sentAt = now;
      }
      if (members.length === 0) groups.delete(groupKey);
    }
    return notifications;
  }

  function groupOf(groupKey: string, cluster: string, labels: Record<string, string>, now: number): Group {
    let group = groups.get(groupKey);
    if (!group) {
      group = { cluster, groupLabels: Object.fromEntries(GROUP_BY.map((name) => [name, labels[name]!])), resolved: [], sentFiring: new Set(), sentAt: now };
      groups.set(groupKey, group);
    }
    return group;
  }

  /** Every firing alert, as the dashboard and GET /api/alerts list them. */
  function active(): AlertRecord[] {
    return [...firing.values()].flatMap((byKey) => [...byKey.values()].map((a) => recordOf(a.cluster, a, 'firing', a.firedAt)));
  }

  return { update, active };
}

function instanceOf(alert: Firing): AlertInstance {
  const { fingerprint, labels, annotations, startsAt, generatorURL } = alert;
  return { fingerprint, labels, annotations, startsAt, generatorURL };
}

function recordOf(cluster: string, alert: AlertInstance, status: AlertRecord['status'], at: number): AlertRecord {
  const record: AlertRecord = { fingerprint: alert.fingerprint, cluster, name: alert.labels.alertname!, status, labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt, at };
  if (alert.endsAt !== undefined) record.endsAt = alert.endsAt;
  return record;
}
