import { setTimeout as sleep } from 'node:timers/promises';
import { splitCredentials } from '../../connect/url-credentials.js';
import { VERSION } from '../../version.js';
import { encodeMessage, supersede, webhookMessage, type Notification } from './webhook-payload.js';

export interface WebhookSenderOptions {
  /** The receiver's URL; a user and password in it are sent as Basic auth and never shown. */
  url: string;
  /** How the log names this webhook (no credentials, no path: paths often carry tokens too). */
  name: string;
  externalUrl: string;
  /** Time limit of one POST, answer included. */
  timeoutMs: number;
  /** POSTs per notification, the first included. */
  attempts: number;
  /** Wait before the first retry; doubled before each next one, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  log: (line: string) => void;
}

/** One group's line to one webhook: its notifications go out in order, one at a time. */
interface Lane {
  /** The newest notification not yet taken up (a newer one replaces it, keeping its resolutions). */
  pending?: Notification;
  /** A notification that could not be delivered: its resolutions ride along with the group's next one. */
  undelivered?: Notification;
  running?: Promise<void>;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string };

/**
 * Delivers notifications to one webhook in the background: send() never waits for the network. Each POST is
 * time-limited and retried with exponential backoff a bounded number of times; each group has its own lane, and
 * a lane holds at most one running and one waiting notification, so a dead receiver costs bounded memory.
 */
export function createWebhookSender(options: WebhookSenderOptions) {
  const { bare, authorization, secret } = splitCredentials(options.url, 'an alert webhook must be an http(s) URL');
  const scrub = (text: string) => (secret ? text.split(secret).join('***') : text);
  const lanes = new Map<string, Lane>();
  const stopping = new AbortController();

  function send(notification: Notification): void {
    if (stopping.signal.aborted) return;
    let lane = lanes.get(notification.groupKey);
    if (!lane) lanes.set(notification.groupKey, (lane = {}));
    let next = lane.pending ? supersede(lane.pending, notification) : notification;
    if (lane.undelivered) {
      next = supersede(lane.undelivered, next);
      lane.undelivered = undefined;
    }
    lane.pending = next;
    lane.running ??= drain(notification.groupKey, lane);
  }

  async function drain(groupKey: string, lane: Lane): Promise<void> {
    while (lane.pending && !stopping.signal.aborted) {
      const notification = lane.pending;
      lane.pending = undefined;
      await deliver(notification, lane);
    }
    lane.running = undefined;
    if (!lane.undelivered) lanes.delete(groupKey);
  }

  async function deliver(notification: Notification, lane: Lane): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await post(notification);
      if (outcome.ok) return;
      if (stopping.signal.aborted) {
        options.log(`${options.name}: ${notification.groupKey} not delivered, the daemon is stopping (${outcome.reason})`);
        return;
      }
      if (lane.pending) {
        // A newer state of the group waits: send that instead, with this one's resolutions.
        lane.pending = supersede(notification, lane.pending);
        options.log(`${options.name}: ${outcome.reason}; a newer notification of ${notification.groupKey} replaces this one`);
        return;
      }
      if (!outcome.retry || attempt >= options.attempts) {
        lane.undelivered = notification;
        options.log(`${options.name}: ${notification.groupKey} not delivered after ${attempt} attempt(s): ${outcome.reason}`);
        return;
      }
      const delay = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** (attempt - 1));
      options.log(`${options.name}: ${outcome.reason}; retry ${attempt} of ${options.attempts - 1} in ${delay} ms`);
      try {
        await sleep(delay, undefined, { signal: stopping.signal });
      } catch {
        options.log(`${options.name}: ${notification.groupKey} not delivered, the daemon is stopping (${outcome.reason})`);
        return;
      }
    }
  }

  async function post(notification: Notification): Promise<Outcome> {
    const body = encodeMessage(webhookMessage(notification, options.externalUrl));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `mvcc-doctor/${VERSION}` };
    if (authorization) headers.authorization = authorization;
    try {
      const response = await fetch(bare, { method: 'POST', headers, body, signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), stopping.signal]) });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { ok: true };
      // Like Alertmanager: 5xx is the receiver's trouble and may pass; 4xx means this request will never do (429 aside).
      return { ok: false, retry: response.status >= 500 || response.status === 429, reason: `HTTP ${response.status}` };
    } catch (error) {
      const name = (error as Error).name;
      const reason = name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : name === 'AbortError' ? 'aborted' : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
      return { ok: false, retry: true, reason: scrub(reason) };
    }
  }

  /** Resolves once every lane is idle (retries included). */
  async function idle(): Promise<void> {
    const running = () => [...lanes.values()].flatMap((lane) => lane.running ?? []);
    // A delivery that ends can start the lane's next one: look again until nothing runs.
    while (running().length > 0) await Promise.all(running());
  }

  /** No new POSTs; the ones under way are aborted. */
  async function stop(): Promise<void> {
    stopping.abort();
    await idle();
  }

  return { send, idle, stop };
}

/** How a webhook is named in log lines: its origin only, since the path and query often hold a token. */
export function webhookName(url: string, index: number): string {
  const { bare } = splitCredentials(url, 'an alert webhook must be an http(s) URL');
  return `alert webhook ${index + 1} (${new URL(bare).origin})`;
}
