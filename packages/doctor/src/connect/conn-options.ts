import { DoctorError } from './doctor-error.js';

/** Where and as whom to connect. Resolved once from flags, conninfo/URL and environment, then frozen. */
export interface ConnOptions {
  host: string;
  port: number;
  user: string;
  /** The database to connect to first; the others are discovered from pg_database. */
  database: string;
  /** Never printed: it is not enumerable, so it cannot reach logs or JSON output by accident. */
  readonly password?: string;
  /** libpq sslmode: disable | prefer | require | verify-ca | verify-full. */
  sslmode?: string;
  /** Seconds to wait for a connection. */
  connectTimeout: number;
}

/** Inputs in precedence order: explicit fields beat the conninfo argument, which beats the environment. */
export interface ConnInputs {
  conninfo?: string;
  host?: string;
  port?: string | number;
  user?: string;
  dbname?: string;
  env?: Record<string, string | undefined>;
}

const KEYWORDS: Record<string, keyof Parsed> = {
  host: 'host',
  hostaddr: 'host',
  port: 'port',
  user: 'user',
  dbname: 'database',
  password: 'password',
  sslmode: 'sslmode',
  connect_timeout: 'connectTimeout',
};

type Parsed = Partial<Record<'host' | 'port' | 'user' | 'database' | 'password' | 'sslmode' | 'connectTimeout', string>>;

export function resolveConnOptions(inputs: ConnInputs): ConnOptions {
  const env = inputs.env ?? {};
  const fromUrlEnv = env.DATABASE_URL ? parseConninfo(env.DATABASE_URL) : {};
  const fromArg = inputs.conninfo ? parseConninfo(inputs.conninfo) : {};
  const fromPgEnv: Parsed = {
    host: env.PGHOST,
    port: env.PGPORT,
    user: env.PGUSER,
    database: env.PGDATABASE,
    password: env.PGPASSWORD,
    sslmode: env.PGSSLMODE,
    connectTimeout: env.PGCONNECT_TIMEOUT,
  };
  const flags: Parsed = {
    host: inputs.host,
    port: inputs.port === undefined ? undefined : String(inputs.port),
    user: inputs.user,
    database: inputs.dbname,
  };
  const pick = (key: keyof Parsed): string | undefined => flags[key] ?? fromArg[key] ?? fromUrlEnv[key] ?? fromPgEnv[key];
  const user = pick('user') ?? env.USER ?? 'postgres';
  const port = Number(pick('port') ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new DoctorError('usage', `invalid port "${pick('port')}"`);
  const connectTimeout = Number(pick('connectTimeout') ?? 10);
  const options: ConnOptions = {
    host: pick('host') ?? 'localhost',
    port,
    user,
    database: pick('database') ?? user,
    sslmode: pick('sslmode'),
    connectTimeout: Number.isFinite(connectTimeout) && connectTimeout > 0 ? connectTimeout : 10,
  };
  Object.defineProperty(options, 'password', { value: pick('password'), enumerable: false });
  return Object.freeze(options);
}

/** A postgres:// URL or a libpq keyword=value string. */
export function parseConninfo(conninfo: string): Parsed {
  return /^postgres(ql)?:\/\//i.test(conninfo) ? parseUrl(conninfo) : parseKeywords(conninfo);
}

function parseUrl(text: string): Parsed {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DoctorError('usage', 'invalid connection URL (expected postgresql://user@host:port/dbname)');
  }
  const parsed: Parsed = {
    host: url.hostname ? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') : undefined,
    port: url.port || undefined,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
  };
  for (const [key, value] of url.searchParams) {
    const field = KEYWORDS[key];
    if (field) parsed[field] = value;
  }
  return parsed;
}

function parseKeywords(text: string): Parsed {
  const parsed: Parsed = {};
  // key = value, value optionally single-quoted with backslash escapes (libpq syntax).
  const pattern = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(text)) !== null) {
    consumed = pattern.lastIndex;
    const field = KEYWORDS[match[1]!];
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
    if (field) parsed[field] = value;
  }
  if (text.slice(consumed).trim() !== '') {
    throw new DoctorError('usage', 'invalid connection string (expected a postgresql:// URL or key=value pairs)');
  }
  return parsed;
}

/** How to name the target in messages: never the password. */
export function describeTarget(options: ConnOptions, database = options.database): string {
  return `${options.user}@${options.host}:${options.port}/${database}`;
}
