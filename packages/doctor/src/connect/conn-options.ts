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
  /** The password file (libpq's .pgpass format) consulted when no password is given: passfile, PGPASSFILE or ~/.pgpass. */
  passfile?: string;
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
  passfile: 'passfile',
  sslmode: 'sslmode',
  connect_timeout: 'connectTimeout',
};

/**
 * libpq keywords we accept and ignore (they do not change what the doctor can read). Any other keyword is a
 * typo ("hots=db1") and is rejected, as libpq rejects it, rather than silently connecting somewhere else.
 */
const IGNORED_KEYWORDS = new Set([
  'application_name', 'fallback_application_name', 'options', 'keepalives', 'keepalives_idle', 'keepalives_interval',
  'keepalives_count', 'tcp_user_timeout', 'sslcompression', 'sslcert', 'sslkey', 'sslpassword', 'sslrootcert', 'sslcrl',
  'sslcrldir', 'sslsni', 'sslnegotiation', 'sslcertmode', 'ssl_min_protocol_version', 'ssl_max_protocol_version',
  'requirepeer', 'require_auth', 'channel_binding', 'gssencmode', 'krbsrvname', 'gsslib', 'gssdelegation', 'service',
  'target_session_attrs', 'load_balance_hosts', 'replication', 'client_encoding', 'min_protocol_version', 'max_protocol_version',
]);

type Parsed = Partial<Record<'host' | 'port' | 'user' | 'database' | 'password' | 'passfile' | 'sslmode' | 'connectTimeout', string>>;

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
    passfile: env.PGPASSFILE,
  };
  const flags: Parsed = {
    host: inputs.host,
    port: inputs.port === undefined ? undefined : String(inputs.port),
    user: inputs.user,
    database: inputs.dbname,
  };
  const pick = (key: keyof Parsed): string | undefined => flags[key] ?? fromArg[key] ?? fromUrlEnv[key] ?? fromPgEnv[key];
  const user = pick('user') ?? env.USER ?? 'postgres';
  const portText = pick('port') ?? '5432';
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || port <= 0 || port > 65535) throw new DoctorError('usage', `invalid port "${portText}" (expected 1-65535)`);
  const host = pick('host') || 'localhost';
  if (host.includes(',')) throw new DoctorError('usage', `several hosts ("${host}") are not supported: name one server`);
  const sslmode = pick('sslmode');
  if (sslmode !== undefined && !SSLMODES.includes(sslmode)) {
    throw new DoctorError('usage', `invalid sslmode "${sslmode}" (expected one of ${SSLMODES.join(', ')})`);
  }
  const timeoutText = pick('connectTimeout');
  const connectTimeout = timeoutText === undefined ? 10 : Number(timeoutText);
  if (!Number.isFinite(connectTimeout)) throw new DoctorError('usage', `invalid connect_timeout "${timeoutText}" (expected seconds)`);
  const home = env.HOME;
  const options: ConnOptions = {
    host,
    port,
    user,
    database: pick('database') || user,
    sslmode,
    // libpq: 0 or less waits forever, and anything under 2 s means 2 s. A diagnosis must end, so 0 means our default.
    connectTimeout: connectTimeout <= 0 ? 10 : Math.max(2, connectTimeout),
    passfile: pick('passfile') ?? (home ? `${home.replace(/\/$/, '')}/.pgpass` : undefined),
  };
  Object.defineProperty(options, 'password', { value: pick('password'), enumerable: false });
  return Object.freeze(options);
}

const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** A postgres:// URL, a libpq keyword=value string, or (as psql takes it) a bare database name. */
export function parseConninfo(conninfo: string): Parsed {
  if (/^postgres(ql)?:\/\//i.test(conninfo)) return parseUrl(conninfo);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(conninfo)) {
    throw new DoctorError('usage', 'invalid connection URL: it must start with postgresql:// or postgres://');
  }
  if (!conninfo.includes('=') && /^[^\s'\\]+$/.test(conninfo)) return { database: conninfo };
  return parseKeywords(conninfo);
}

/** decodeURIComponent that reports bad %-escapes as usage, without echoing the text (it may be a password). */
function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new DoctorError('usage', `invalid connection URL: bad %-escape in the ${part}`);
  }
}

function parseUrl(text: string): Parsed {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DoctorError('usage', 'invalid connection URL (expected postgresql://user@host:port/dbname)');
  }
  const parsed: Parsed = {
    // A percent-encoded host is a Unix socket directory (postgresql://%2Fvar%2Frun%2Fpostgresql/db).
    host: url.hostname ? decode(url.hostname, 'host').replace(/^\[(.*)\]$/, '$1') : undefined,
    port: url.port || undefined,
    user: url.username ? decode(url.username, 'user name') : undefined,
    password: url.password ? decode(url.password, 'password') : undefined,
    database: url.pathname.length > 1 ? decode(url.pathname.slice(1), 'database name') : undefined,
  };
  for (const [key, value] of url.searchParams) setKeyword(parsed, key, value);
  return parsed;
}

function parseKeywords(text: string): Parsed {
  const parsed: Parsed = {};
  // key = value, value optionally single-quoted with backslash escapes (libpq syntax).
  // An unquoted value cannot start with a quote, so an unterminated 'value is an error, not a literal quote.
  const pattern = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']\S*|))/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(text)) !== null) {
    consumed = pattern.lastIndex;
    setKeyword(parsed, match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!);
  }
  if (consumed === 0 || text.slice(consumed).trim() !== '') {
    throw new DoctorError('usage', 'invalid connection string (expected a postgresql:// URL, key=value pairs or a database name)');
  }
  return parsed;
}

function setKeyword(parsed: Parsed, key: string, value: string): void {
  const field = KEYWORDS[key];
  if (field) parsed[field] = value;
  else if (!IGNORED_KEYWORDS.has(key)) throw new DoctorError('usage', `invalid connection option "${key}"`);
}

/** How to name the target in messages: never the password. */
export function describeTarget(options: ConnOptions, database = options.database): string {
  return `${options.user}@${options.host}:${options.port}/${database}`;
}
