import { DoctorError } from '../../connect/doctor-error.js';
import type { FindingEvent } from '../finding-event.js';
import type { AlertRecord } from '../history-store.js';
import { createAlertState } from './alert-state.js';
import { createWebhookSender, webhookName } from './webhook-sender.js';

export interface AlerterOptions {
  /** Receivers of Alertmanager's webhook message; credentials in a URL are sent as Basic auth and never logged. */
  webhooks: string[];
  /** How long a finding must stay open before its alert fires (Prometheus `for`). Default 2 minutes. */
  alertForMs?: number;
  /** How often firing alerts are sent again while nothing changes. Default 4 hours, as Alertmanager's repeat_interval. */
  repeatIntervalMs?: number;
  /** The daemon's URL as receivers reach it: the message's externalURL and each alert's generatorURL. */
  externalUrl: string;
  /** Called with every state change (fired, resolved), in order; the daemon keeps them as alert history. */
  record?: (alert: AlertRecord) => void | Promise<void>;
  /** Where delivery trouble is reported, one line each. */
  log?: (line: string) => void;
  /** The clock for update() calls that pass no time; tests inject one. */
  now?: () => number;
  /** Time limit of one POST. Default 10 seconds. */
  timeoutMs?: number;
  /** POSTs per notification, the first included. Default 4. */
  attempts?: number;
  /** Wait before the first retry, doubled each time up to 30 seconds. Default 1 second. */
  backoffMs?: number;
}

export interface Alerter {
  /** The cluster's open finding events after an observation; fires, resolves and sends without waiting for the network. */
  update(cluster: string, open: FindingEvent[], now?: number): void;
  /** The alerts firing now. */
  active(): AlertRecord[];
  /** Resolves once every notification so far was delivered or given up on, and every record was handed over. */
  flush(): Promise<void>;
  /** Stops sending: later updates are ignored, POSTs under way are aborted. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

/** Alerts from finding events, delivered to webhooks in Alertmanager's format. */
export function createAlerter(input: AlerterOptions): Alerter {
  const options = Object.freeze({
    alertForMs: 120_000,
    repeatIntervalMs: 4 * 3600_000,
    timeoutMs: 10_000,
    attempts: 4,
    backoffMs: 1000,
    log: (line: string) => console.error(line),
    now: Date.now,
    ...withoutUndefined(input),
  });
  for (const [name, min] of [['alertForMs', 0], ['repeatIntervalMs', 1], ['timeoutMs', 1], ['attempts', 1], ['backoffMs', 0]] as const) {
    if (!Number.isFinite(options[name]) || options[name] < min) throw new DoctorError('usage', `alert option ${name} must be a number of at least ${min}`);
  }
  const state = createAlertState(options);
  const senders = options.webhooks.map((url, index) =>
    createWebhookSender({ url, name: webhookName(url, index), externalUrl: options.externalUrl, timeoutMs: options.timeoutMs, attempts: options.attempts, backoffMs: options.backoffMs, maxBackoffMs: MAX_BACKOFF_MS, log: options.log }),
  );
  let recording: Promise<void> = Promise.resolve();
  let stopped = false;

  function keep(record: AlertRecord): void {
    const save = options.record;
    if (!save) return;
    // One after another, so the history sees fired before resolved; a failing store costs a log line, not the daemon.
    recording = recording.then(() => save(record)).catch((error: Error) => options.log(`could not record alert ${record.name} (${record.cluster}): ${error.message}`));
  }

  return {
    update(cluster, open, now = options.now()) {
      if (stopped) return;
      const { records, notifications } = state.update(cluster, open, now);
      for (const record of records) keep(record);
      for (const notification of notifications) for (const sender of senders) sender.send(notification);
    },
    active: () => state.active(),
    async flush() {
      await Promise.all(senders.map((s) => s.idle()));
      await recording;
    },
    async stop() {
      stopped = true;
      await Promise.all(senders.map((s) => s.stop()));
      await recording;
    },
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
