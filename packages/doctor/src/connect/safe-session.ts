import pg from 'pg';
import { describeTarget, type ConnOptions } from './conn-options.js';
import { DoctorError } from './doctor-error.js';

/** Every session of ours carries this application_name, and every query this tag, so we never report ourselves. */
export const APPLICATION_NAME = 'mvcc-doctor';
export const QUERY_TAG = '/* mvcc-doctor */';

export interface SessionLimits {
  /** statement_timeout in ms: no diagnostic query may run longer. */
  statementTimeoutMs: number;
  /** lock_timeout in ms: we never wait in a lock queue (behind a waiting ALTER TABLE, say). */
  lockTimeoutMs: number;
}

export const DEFAULT_LIMITS: SessionLimits = Object.freeze({ statementTimeoutMs: 30_000, lockTimeoutMs: 1_000 });

/** A read-only session for diagnosis. */
export interface SafeSession {
  readonly database: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * Open a diagnostic session: read-only by default (`default_transaction_read_only`), bounded by
 * statement_timeout and lock_timeout, all set in the startup packet so no extra round trip and no XID.
 */
export async function openSession(
  options: ConnOptions,
  database: string = options.database,
  limits: SessionLimits = DEFAULT_LIMITS,
): Promise<SafeSession> {
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database,
    ssl: sslConfig(options.sslmode),
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: options.connectTimeout * 1000,
    statement_timeout: limits.statementTimeoutMs,
    lock_timeout: limits.lockTimeoutMs,
    idle_in_transaction_session_timeout: limits.statementTimeoutMs,
    options: '-c default_transaction_read_only=on -c search_path=pg_catalog',
    types: { getTypeParser: typeParser } as pg.CustomTypesConfig,
  });
  let lastError: unknown;
  client.on('error', (error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw explainConnectError(error, options, database);
  }
  return {
    database,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      try {
        const result = await client.query<R>(`${QUERY_TAG} ${sql}`, params);
        return result.rows;
      } catch (error) {
        throw explainQueryError(lastError ?? error, options, database);
      }
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

const INT8_OID = 20;

/** Ages, counts and byte sizes fit in a double: read int8 as number, only for our own sessions. */
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}

function sslConfig(sslmode: string | undefined): pg.ClientConfig['ssl'] {
  if (!sslmode || sslmode === 'disable' || sslmode === 'prefer' || sslmode === 'allow') return undefined;
  return { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' };
}

/** Turn a driver error at connect time into one line that says what is wrong, never with the password. */
export function explainConnectError(error: unknown, options: ConnOptions, database: string): DoctorError {
  const target = describeTarget(options, database);
  const where = `${options.host}:${options.port}`;
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return new DoctorError('unreachable', `cannot connect to ${where}: connection refused (is PostgreSQL running there?)`, { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DoctorError('unreachable', `cannot connect to ${where}: unknown host "${options.host}"`, { cause: error });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DoctorError('unreachable', `cannot connect to ${where}: ${e.code}`, { cause: error });
    case '28P01':
    case '28000':
      return new DoctorError('auth', `authentication failed for ${target}: ${redact(e.message, options)}`, { cause: error });
    case '3D000':
      return new DoctorError('unknown-database', `database "${database}" does not exist on ${where}`, { cause: error });
    case '42501':
      return new DoctorError('privilege', `permission denied to connect as ${target}: ${redact(e.message, options)}`, { cause: error });
    case '57P03':
      return new DoctorError('unreachable', `${where} is not accepting connections yet: ${redact(e.message, options)}`, { cause: error });
    case '53300':
      return new DoctorError('unreachable', `${where} has no free connection slots: ${redact(e.message, options)}`, { cause: error });
  }
  const message = redact(e.message, options);
  if (/timeout/i.test(message)) {
    return new DoctorError('not-postgres', `no PostgreSQL answered at ${where} within ${options.connectTimeout}s (is it a PostgreSQL port?)`, { cause: error });
  }
  if (/terminated unexpectedly|ECONNRESET|Unknown message|unexpected|protocol|invalid/i.test(message)) {
    return new DoctorError('not-postgres', `${where} did not speak the PostgreSQL protocol (${message})`, { cause: error });
  }
  return new DoctorError('server-error', `cannot connect to ${target}: ${message}`, { cause: error });
}

/** A query error as one line; the caller decides whether it skips a check or ends the run. */
export function explainQueryError(error: unknown, options: ConnOptions, database: string): DoctorError {
  const e = error as { code?: string; message?: string };
  const message = redact(e.message, options);
  if (e.code === '42501') return new DoctorError('privilege', message, { cause: error });
  if (e.code === '57014' || e.code === '55P03') return new DoctorError('timeout', `${message} (in database "${database}")`, { cause: error });
  return new DoctorError('server-error', `${message} (in database "${database}")`, { cause: error });
}

/** Remove the password from any text that might echo it (URLs in driver messages, say). */
export function redact(text: string | undefined, options: ConnOptions): string {
  const value = (text ?? 'unknown error').split('\n')[0]!;
  return options.password ? value.split(options.password).join('***') : value;
}
