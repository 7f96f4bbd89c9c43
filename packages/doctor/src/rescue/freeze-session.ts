import pg from 'pg';
import type { ConnOptions } from '../connect/conn-options.js';
import { pgpassLookup } from '../connect/pgpass.js';
import { APPLICATION_NAME, QUERY_TAG, explainConnectError } from '../connect/safe-session.js';

/** How a rescue session is set up, all in the startup packet: no extra round trip, no XID. */
export interface FreezeSessionSettings {
  /** lock_timeout in ms: a relation someone else has locked fails fast (55P03) instead of queueing. */
  lockTimeoutMs: number;
}

/**
 * The settings every session of `freeze` runs with, as SQL a person could type. They are sent in the startup
 * packet; read-only mode refuses anything that writes data, while VACUUM, ROLLBACK PREPARED,
 * pg_terminate_backend and pg_drop_replication_slot are all allowed in it (checked on 14, 15 and 18).
 */
export function sessionSettings(settings: FreezeSessionSettings): Record<string, string> {
  return {
    default_transaction_read_only: 'on',
    search_path: 'pg_catalog',
    // Manual VACUUM already defaults to 0, but a role or database setting may have changed it.
    vacuum_cost_delay: '0',
    statement_timeout: '0',
    idle_in_transaction_session_timeout: '0',
    lock_timeout: `${Math.max(0, Math.round(settings.lockTimeoutMs))}ms`,
  };
}

/** A session of the rescue: raw pg errors (with their SQLSTATE) reach the caller, who decides what they mean. */
export interface FreezeSession {
  readonly database: string;
  /** The backend's pid, to find it in pg_stat_progress_vacuum and to cancel it. */
  readonly pid: number;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Whether the connection broke (the session is useless after). */
  readonly broken: boolean;
  close(): Promise<void>;
}

const INT8_OID = 20;

export async function openFreezeSession(conn: ConnOptions, database: string, settings: FreezeSessionSettings): Promise<FreezeSession> {
  const options = Object.entries(sessionSettings(settings))
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: (() => conn.password ?? pgpassLookup(conn.passfile, { ...conn, database })) as () => string,
    database,
    ssl: sslConfig(conn.sslmode),
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: conn.connectTimeout * 1000,
    options,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text'),
    } as pg.CustomTypesConfig,
  });
  let broken = false;
  client.on('error', () => {
    broken = true;
  });
  client.on('end', () => {
    broken = true;
  });
  try {
    await client.connect();
  } catch (error) {
    client.connection.stream.destroy();
    throw explainConnectError(error, conn, database);
  }
  const { rows } = await client.query<{ pid: number }>(`${QUERY_TAG} SELECT pg_backend_pid() AS pid`);
  return {
    database,
    pid: rows[0]!.pid,
    get broken() {
      return broken;
    },
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      const result = await client.query<R>(`${QUERY_TAG} ${sql}`, params);
      return result.rows;
    },
    async close() {
      if (broken) client.connection.stream.destroy();
      else await client.end().catch(() => client.connection.stream.destroy());
    },
  };
}

function sslConfig(sslmode: string | undefined): pg.ClientConfig['ssl'] {
  if (!sslmode || sslmode === 'disable' || sslmode === 'prefer' || sslmode === 'allow') return undefined;
  return { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' };
}
