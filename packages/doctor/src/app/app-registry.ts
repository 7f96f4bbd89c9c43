import { DoctorError } from '../connect/doctor-error.js';
import { splitCredentials } from '../connect/url-credentials.js';

/** One open transaction or checked-out client, as @mvcc-doctor/pg's registry handler serves it. */
export interface AppLease {
  backendPid: number | undefined;
  app: string;
  origin: string;
  route?: string;
  job?: string;
  traceparent?: string;
  startedAt: string;
  idleMs?: number;
  stack?: string;
}

/** The process's health, as @mvcc-doctor/pg's registry serves it beside the transactions (absent in older versions). */
export interface AppTelemetry {
  heapUsedBytes?: number;
  rssBytes?: number;
  /** The 99th percentile event-loop delay since the previous read. */
  eventLoopDelayP99Ms?: number;
  /** Clients of the pools the library has used, by state: total, idle, waiting (callers queued for a client). */
  pool?: Record<string, number>;
  /** Transactions since start by outcome: committed, rolled-back, retried, failed. */
  transactions?: Record<string, number>;
}

export interface AppRegistry {
  url: string;
  /** The app's OS process id. */
  pid: number;
  /** The app's name (from configure({ app })), when it set one. */
  app?: string;
  transactions: AppLease[];
  telemetry?: AppTelemetry;
}

/** Read an app's open-transaction registry (GET, JSON), within a time limit; the URL's credentials never show. */
export async function readAppRegistry(url: string, timeoutMs = 3000): Promise<AppRegistry> {
  const { bare, authorization, secret } = splitCredentials(url, '--app takes an http(s) URL');
  const scrub = (text: string) => (secret ? text.split(secret).join('***') : text);
  let response: Response;
  try {
    response = await fetch(bare, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
    });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new DoctorError('unreachable', `could not read the app registry at ${bare}: ${scrub(reason)}`);
  }
  if (!response.ok) throw new DoctorError('server-error', `the app registry at ${bare} answered HTTP ${response.status}`);
  const body = (await response.json().catch(() => undefined)) as Partial<AppRegistry> | undefined;
  if (!body || !Array.isArray(body.transactions)) {
    throw new DoctorError('server-error', `${bare} is not an @mvcc-doctor/pg registry (no "transactions" array)`);
  }
  return {
    url: bare,
    pid: Number(body.pid),
    app: typeof body.app === 'string' ? body.app : undefined,
    transactions: body.transactions,
    telemetry: typeof body.telemetry === 'object' && body.telemetry !== null ? body.telemetry : undefined,
  };
}
