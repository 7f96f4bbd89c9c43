import pg from 'pg';
import { describeTarget, type ConnOptions } from './conn-options.js';
import { copyOut } from './copy-out.js';
import { DoctorError, type DoctorErrorCode } from './doctor-error.js';
import { pgpassLookup } from './pgpass.js';

/**
 * Every session of ours carries this application_name, and every query this tag (at its start and its end), so we
 * never report ourselves: not in pg_stat_activity, not in pg_stat_statements.
 */
export const APPLICATION_NAME = 'mvcc-doctor';
export const QUERY_TAG = '/* mvcc-doctor */';

export interface SessionLimits {
  /** statement_timeout in ms (0: none): no diagnostic query may run longer. */
  statementTimeoutMs: number;
  /** lock_timeout in ms: we never wait in a lock queue (behind a waiting ALTER TABLE, say). */
  lockTimeoutMs: number;
}

export interface SessionOptions extends SessionLimits {
  /** More server settings for the startup packet, e.g. the rescue's vacuum_cost_delay. */
  settings?: Readonly<Record<string, string>>;
}

export const DEFAULT_LIMITS: SessionLimits = Object.freeze({ statementTimeoutMs: 30_000, lockTimeoutMs: 1_000 });

/** A session of ours: read-only, bounded, tagged. Query errors are DoctorErrors whose `cause` is the server's error. */
export interface Session {
  readonly database: string;
  /** The backend's pid (from the startup reply: no query), to find it in pg_stat_activity and to cancel it. */
  readonly pid: number;
  /** The connection broke: the session is useless from now on. */
  readonly broken: boolean;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** `COPY (…) TO STDOUT`: each chunk to `write` as it arrives (no transaction ID, so the stop zone allows it); resolves with the row count. */
  copyOut(sql: string, write: (chunk: Buffer) => void): Promise<number>;
  close(): Promise<void>;
}

/**
 * Every setting a session of ours starts with, as the server sees it. Read-only refuses anything that writes
 * data, while VACUUM, ROLLBACK PREPARED, pg_terminate_backend and pg_drop_replication_slot are all allowed
 * (checked on 14, 15 and 18); standard_conforming_strings is forced on so quoted literals read one way only.
 */
export function startupSettings(options: SessionOptions): Record<string, string> {
  return {
    default_transaction_read_only: 'on',
    search_path: 'pg_catalog',
    standard_conforming_strings: 'on',
    statement_timeout: `${Math.max(0, Math.round(options.statementTimeoutMs))}ms`,
    lock_timeout: `${Math.max(0, Math.round(options.lockTimeoutMs))}ms`,
    ...options.settings,
  };
}

/**
 * The one way we open a session, for diagnosis and rescue alike: every setting in the startup packet (no
 * extra round trip, no XID), a connect deadline that also covers TLS, and a guard against a port that is
 * not PostgreSQL.
 */
export async function openSession(conn: ConnOptions, database: string = conn.database, options: SessionOptions = DEFAULT_LIMITS): Promise<Session> {
  const connectMs = conn.connectTimeout * 1000;
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    // A function, so pg never falls back to its own (deprecated, warning-printing) pgpass lookup.
    password: (() => conn.password ?? pgpassLookup(conn.passfile, { ...conn, database })) as () => string,
    database,
    ssl: sslConfig(conn.sslmode),
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: connectMs,
    // statement_timeout bounds the server; this bounds a server or network that stops answering altogether.
    query_timeout: options.statementTimeoutMs > 0 ? options.statementTimeoutMs + connectMs : undefined,
    options: Object.entries(startupSettings(options))
      .map(([name, value]) => `-c ${name}=${value}`)
      .join(' '),
    types: { getTypeParser: typeParser } as pg.CustomTypesConfig,
  });
  // Whether TCP got through tells "nothing there" from "something there that is not PostgreSQL".
  let tcpConnected = false;
  client.connection.once('connect', () => {
    tcpConnected = true;
    // Without TLS, PostgreSQL's first reply to the startup packet is always R (auth), E (error) or v (protocol
    // version). A server that speaks first (SSH, SMTP, MySQL) would otherwise keep pg waiting for a huge "message".
    if (!client.ssl) client.connection.stream.once('data', (chunk: Buffer) => checkFirstByte(client, chunk));
  });
  let lastError: unknown;
  let ended = false;
  client.on('error', (error) => {
    lastError ??= error; // the first error says why (57P01 terminated); later ones only echo it
  });
  client.on('end', () => {
    ended = true;
  });
  try {
    await withDeadline(client.connect(), connectMs + 2_000);
  } catch (error) {
    abandon(client);
    throw explainConnectError(error, conn, database, tcpConnected);
  }
  return {
    database,
    pid: (client as unknown as { processID: number }).processID,
    get broken() {
      return ended || lastError !== undefined;
    },
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      try {
        // Tagged at both ends: pg_stat_statements keeps a trailing comment but drops a leading one (18 does, 14 not). The
        // trailing tag has a line of its own, so a `--` comment ending the SQL cannot swallow it.
        const result = await client.query<R>(`${QUERY_TAG} ${sql}\n${QUERY_TAG}`, params);
        return result.rows;
      } catch (error) {
        const explained = explainQueryError(lastError ?? error, conn, database);
        if (explained.code === 'unreachable') abandon(client);
        throw explained;
      }
    },
    async copyOut(sql: string, write: (chunk: Buffer) => void): Promise<number> {
      let local: { error: unknown } | undefined;
      const guarded = (chunk: Buffer) => {
        try {
          write(chunk);
        } catch (error) {
          local ??= { error };
          throw error;
        }
      };
      try {
        return await copyOut(client, `${QUERY_TAG} ${sql}`, guarded);
      } catch (error) {
        // A failed write (a full disk) is ours, not the server's: the caller hears it as it was.
        if (local) throw local.error;
        const explained = explainQueryError(lastError ?? error, conn, database);
        if (explained.code === 'unreachable') abandon(client);
        throw explained;
      }
    },
    async close() {
      if (lastError || ended) abandon(client);
      else await withDeadline(client.end(), connectMs).catch(() => abandon(client));
    },
  };
}

const FIRST_REPLY = new Set(['R', 'E', 'v']);

function checkFirstByte(client: pg.Client, chunk: Buffer): void {
  const first = chunk[0];
  if (first === undefined || FIRST_REPLY.has(String.fromCharCode(first))) return;
  const shown = first >= 0x20 && first < 0x7f ? ` "${String.fromCharCode(first)}"` : '';
  client.connection.stream.destroy(new Error(`protocol: its first byte 0x${first.toString(16).padStart(2, '0')}${shown} starts no PostgreSQL message`));
}

/** pg's own connect timeout covers TCP and startup; this also covers a TLS handshake that never ends. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout expired')), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Drop the socket without the polite Terminate handshake: after a failed connect `client.end()` waits for the
 * peer to close, and a peer that is not PostgreSQL may never close, so the CLI would hang instead of exiting.
 */
function abandon(client: pg.Client): void {
  try {
    client.connection.stream.destroy();
  } catch {
    // already gone
  }
}

const INT8_OID = 20;

/** Ages, counts and byte sizes fit in a double: read int8 as number, only for our own sessions. */
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}

export function sslConfig(sslmode: string | undefined): pg.ClientConfig['ssl'] {
  if (!sslmode || sslmode === 'disable' || sslmode === 'prefer' || sslmode === 'allow') return undefined;
  return { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' };
}

/** Turn a driver error at connect time into one line that says what is wrong, never with the password. */
export function explainConnectError(error: unknown, options: ConnOptions, database: string, tcpConnected = false): DoctorError {
  const target = describeTarget(options, database);
  const where = `${options.host}:${options.port}`;
  const e = error as { code?: string; message?: string };
  const message = redact(e.message, options);
  const fail = (code: DoctorErrorCode, text: string) => new DoctorError(code, text, { cause: error });
  switch (e.code) {
    case 'ECONNREFUSED':
      return fail('unreachable', `cannot connect to ${where}: connection refused (is PostgreSQL running there?)`);
    case 'ENOENT':
      return fail('unreachable', `cannot connect to ${where}: no server socket in ${options.host} (is PostgreSQL running there?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail('unreachable', `cannot connect to ${where}: unknown host "${options.host}"`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return fail('unreachable', `cannot connect to ${where}: ${e.code}`);
    case 'ECONNRESET':
    case 'EPIPE':
      return fail('not-postgres', `${where} reset the connection without answering as PostgreSQL (is it a PostgreSQL port?)`);
    case '28P01':
      return fail('auth', `${message} (${target}; check the password, PGPASSWORD or ~/.pgpass)`);
    case '28000':
      // The same SQLSTATE covers "no pg_hba.conf entry" (authentication) and a NOLOGIN role (privilege).
      if (/not permitted to log in/i.test(message)) return fail('privilege', `${message} (${target}; ALTER ROLE … LOGIN)`);
      return fail('auth', `${message} (${target})`);
    case '3D000':
      return fail('unknown-database', `database "${database}" does not exist on ${where}`);
    case '42501':
      return fail('privilege', `${message} (${target}; GRANT CONNECT ON DATABASE … TO <role>, or --dbname another database)`);
    case '57P03':
      return fail('unavailable', `${where} is not accepting connections now: ${message}`);
    case '53300':
      return fail('unavailable', `${where} has no free connection slots: ${message}`);
  }
  if (/client password must be|password must be a string/i.test(message)) {
    return fail('auth', `${where} asks for a password and none was given for ${target} (use the URL, PGPASSWORD or ~/.pgpass)`);
  }
  if (/^timeout expired$/i.test(message)) {
    return tcpConnected
      ? fail('not-postgres', `${where} accepted the connection but did not answer as PostgreSQL within ${options.connectTimeout}s (is it a PostgreSQL port?)`)
      : fail('unreachable', `cannot connect to ${where}: no answer within ${options.connectTimeout}s (host down or port filtered?)`);
  }
  if (/does not support SSL/i.test(message)) {
    return fail('server-error', `${where} does not accept SSL connections (sslmode=${options.sslmode}); try sslmode=prefer`);
  }
  if (tcpConnected && /terminated unexpectedly|error establishing an SSL connection|unknown message|unexpected|protocol|invalid/i.test(message)) {
    return fail('not-postgres', `${where} did not answer as PostgreSQL: ${message.replace(/^protocol: /, '')} (is it a PostgreSQL port?)`);
  }
  return fail('server-error', `cannot connect to ${target}: ${message}`);
}

/** SQLSTATEs and driver messages that mean the session is gone: the run cannot go on with it. */
const LOST = /Connection terminated|not queryable|Query read timeout|ECONNRESET|EPIPE|socket hang up/i;

/** A query error as one line; the caller decides whether it skips a check or ends the run. */
export function explainQueryError(error: unknown, options: ConnOptions, database: string): DoctorError {
  const e = error as { code?: string; message?: string };
  const message = redact(e.message, options);
  const where = `${options.host}:${options.port}`;
  if (e.code === '42501') return new DoctorError('privilege', message, { cause: error });
  if (e.code === '57014' || e.code === '55P03') return new DoctorError('timeout', `${message} (in database "${database}")`, { cause: error });
  if (e.code === '57P01' || e.code === '57P02' || e.code?.startsWith('08') || (!/^[0-9A-Z]{5}$/.test(e.code ?? '') && LOST.test(message))) {
    return new DoctorError('unreachable', `lost the connection to ${where} (database "${database}"): ${message}`, { cause: error });
  }
  if (e.code === '57P03') return new DoctorError('unavailable', `${message} (in database "${database}")`, { cause: error });
  return new DoctorError('server-error', `${message} (in database "${database}")`, { cause: error });
}

/** Remove the password from any text that might echo it (URLs in driver messages, say). */
export function redact(text: string | undefined, options: ConnOptions): string {
  const value = (text ?? 'unknown error').split('\n')[0]!;
  return options.password ? value.split(options.password).join('***') : value;
}
