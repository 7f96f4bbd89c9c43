import { readFileSync } from 'node:fs';
import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_LIMITS, type SessionLimits } from '../connect/safe-session.js';
import { DEFAULT_THRESHOLDS, parseThresholds, type Thresholds } from '../engine/thresholds.js';
import { parseDuration } from '../engine/parse-duration.js';
import { resolveConnOptions, type ConnOptions } from '../connect/conn-options.js';
import { attachApps, attachLogs, parseTarget, sharedEnv, type Target } from './target.js';

/** Everything `serve` runs with, resolved once (flags, then the config file, then defaults) and frozen. */
export interface ServeConfig {
  targets: Target[];
  intervalMs: number;
  /** host and port to listen on; port 0 picks a free one. */
  listen: { host: string; port: number };
  /** Required to listen anywhere but loopback. */
  authToken?: string;
  /** The embedded store's directory. */
  dataDir: string;
  /** Keep history in this PostgreSQL database (--store) instead of dataDir. */
  store?: ConnOptions;
  retentionDays: number;
  thresholds: Thresholds;
  limits: SessionLimits;
  webhooks: string[];
  /** The daemon's address as alert receivers reach it (links in alerts); the listen address by default. */
  externalUrl?: string;
  alertForMs: number;
  repeatIntervalMs: number;
}

/** The flags `serve` takes, as parseArgs gives them (every field optional: the config file may supply it). */
export interface ServeInputs {
  target?: string[];
  config?: string;
  data?: string;
  store?: string;
  listen?: string;
  interval?: string;
  threshold?: string[];
  webhook?: string[];
  'external-url'?: string;
  'alert-for'?: string;
  'repeat-interval'?: string;
  retention?: string;
  app?: string[];
  log?: string[];
  'auth-token'?: string;
  'statement-timeout'?: string;
  'lock-timeout'?: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:9700';

/** The config file: the same names as the flags (JSON), e.g. {"target": ["prod=postgresql://…"], "interval": "15s"}. */
function readConfigFile(path: string): ServeInputs {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DoctorError('usage', `cannot read --config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DoctorError('usage', `--config ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DoctorError('usage', `--config ${path} must hold a JSON object`);
  const known = new Set(['target', 'data', 'store', 'listen', 'interval', 'threshold', 'webhook', 'external-url', 'alert-for', 'repeat-interval', 'retention', 'app', 'log', 'auth-token', 'statement-timeout', 'lock-timeout']);
  for (const key of Object.keys(parsed)) if (!known.has(key)) throw new DoctorError('usage', `--config ${path}: unknown setting "${key}" (the flag names: ${[...known].join(', ')})`);
  return parsed as ServeInputs;
}

export function resolveServeConfig(flags: ServeInputs, env: Record<string, string | undefined>): ServeConfig {
  const file = flags.config ? readConfigFile(flags.config) : {};
  const pick = <K extends keyof ServeInputs>(key: K): ServeInputs[K] => (isSet(flags[key]) ? flags[key] : file[key]);
  const specs = pick('target') ?? [];
  if (specs.length === 0) throw new DoctorError('usage', 'serve needs at least one --target NAME=postgresql://…');
  const targets = attachLogs(attachApps(specs.map((spec) => parseTarget(spec, env)), pick('app') ?? []), pick('log') ?? []);
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) throw new DoctorError('usage', `two targets are named ${t.name}`);
    names.add(t.name);
  }
  const listen = parseListen(pick('listen') ?? DEFAULT_LISTEN);
  const authToken = pick('auth-token') ?? env.MVCC_DOCTOR_AUTH_TOKEN;
  if (!isLoopback(listen.host) && !authToken) {
    throw new DoctorError('usage', `--listen ${listen.host}: any address but loopback needs --auth-token (or MVCC_DOCTOR_AUTH_TOKEN)`);
  }
  const storeUrl = pick('store');
  if (storeUrl !== undefined && !/^postgres(ql)?:\/\//.test(storeUrl)) throw new DoctorError('usage', '--store takes a postgresql:// URL');
  const store = storeUrl === undefined ? undefined : resolveConnOptions({ conninfo: storeUrl, env: sharedEnv(env) });
  return Object.freeze({
    targets,
    intervalMs: parseDuration(pick('interval') ?? '15s', '--interval', { min: 1000 }),
    listen,
    authToken,
    dataDir: pick('data') ?? './mvcc-doctor-data',
    store,
    retentionDays: parseRetention(pick('retention') ?? '14'),
    thresholds: { ...DEFAULT_THRESHOLDS, ...parseThresholds(pick('threshold') ?? []) },
    limits: {
      statementTimeoutMs: parseDuration(pick('statement-timeout') ?? `${DEFAULT_LIMITS.statementTimeoutMs}ms`, '--statement-timeout', { min: 1 }),
      lockTimeoutMs: parseDuration(pick('lock-timeout') ?? `${DEFAULT_LIMITS.lockTimeoutMs}ms`, '--lock-timeout', { min: 1 }),
    },
    webhooks: (pick('webhook') ?? []).map((url) => checkWebhook(url)),
    externalUrl: pick('external-url') === undefined ? undefined : checkWebhook(pick('external-url')!, '--external-url'),
    alertForMs: parseDuration(pick('alert-for') ?? '2m', '--alert-for'),
    repeatIntervalMs: parseDuration(pick('repeat-interval') ?? '4h', '--repeat-interval', { min: 60_000 }),
  });
}

function isSet(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new DoctorError('usage', `--listen takes HOST:PORT (e.g. ${DEFAULT_LISTEN}), not "${text}"`);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function parseRetention(text: string): number {
  const days = Number(String(text).replace(/d$/, ''));
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new DoctorError('usage', `--retention takes whole days (1–3650), e.g. 14 or 14d, not "${text}"`);
  return days;
}

function checkWebhook(url: string, flag = '--webhook'): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // fall through to the one-line error
  }
  throw new DoctorError('usage', flag === '--webhook' ? '--webhook takes an http(s) URL (an Alertmanager-compatible receiver)' : `${flag} takes an http(s) URL`);
}
