import pg from 'pg';
import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { describeTarget, type ConnOptions } from '../../connect/conn-options.js';
import { DoctorError } from '../../connect/doctor-error.js';
import { pgpassLookup } from '../../connect/pgpass.js';
import { explainConnectError, explainQueryError, redact, sslConfig } from '../../connect/safe-session.js';

/** The store's sessions call themselves this in pg_stat_activity (not "mvcc-doctor": the doctor may watch them). */
export const STORE_APPLICATION_NAME = 'mvcc-doctor-store';
/** Every object of the store lives in this schema. */
export const STORE_SCHEMA = 'mvcc_doctor';

export interface StorePoolOptions {
  /** Connections at most: one daemon writes one observation at a time per target, and reads for the API. */
  max: number;
  /** statement_timeout (ms) of every store session. */
  statementTimeoutMs: number;
  /**
   * lock_timeout (ms): partition DDL takes an ACCESS EXCLUSIVE lock on points, and a queue behind it would stall
   * every daemon's writes, so it gives up quickly and is tried again at the next observation.
   */
  lockTimeoutMs: number;
  log: (line: string) => void;
}

export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;

/** A small pool whose errors are DoctorErrors (never with the password) and whose transactions end cleanly. */
export class StorePool {
  private readonly pool: pg.Pool;
  private closed: Promise<void> | undefined;

  constructor(
    readonly conn: ConnOptions,
    options: StorePoolOptions,
  ) {
    const connectMs = conn.connectTimeout * 1000;
    const settings = {
      search_path: quoteIdent(STORE_SCHEMA),
      statement_timeout: `${options.statementTimeoutMs}ms`,
      lock_timeout: `${options.lockTimeoutMs}ms`,
      // A store session is never left holding back the store's own xmin horizon.
      idle_in_transaction_session_timeout: `${options.statementTimeoutMs * 2}ms`,
    };
    this.pool = new pg.Pool({
      host: conn.host,
      port: conn.port,
      user: conn.user,
      database: conn.database,
      // A function, so pg never falls back to its own (deprecated, warning-printing) pgpass lookup.
      password: (() => conn.password ?? pgpassLookup(conn.passfile, conn)) as () => string,
      ssl: sslConfig(conn.sslmode),
      application_name: STORE_APPLICATION_NAME,
      options: Object.entries(settings)
        .map(([name, value]) => `-c ${name}=${value}`)
        .join(' '),
      max: options.max,
      idleTimeoutMillis: 60_000,
      connectionTimeoutMillis: connectMs,
      // statement_timeout bounds the server; this bounds a server or network that stops answering altogether.
      query_timeout: options.statementTimeoutMs + connectMs,
      keepAlive: true,
    });
    // An idle connection that dies (store restarted) must not crash the daemon; the pool replaces it on demand.
    this.pool.on('error', (error) => options.log(`history store ${describeTarget(conn)}: lost an idle connection: ${redact(error.message, conn)}`));
  }

  /** One statement on any pooled connection. */
  readonly query: Query = async (sql, params) => {
    const client = await this.connect();
    let broken = false;
    try {
      return (await client.query(sql, params)).rows;
    } catch (error) {
      const explained = this.explain(error);
      broken = explained.code === 'unreachable';
      throw explained;
    } finally {
      client.release(broken || undefined);
    }
  };

  /**
   * BEGIN … COMMIT on one connection. A throw rolls back and rethrows the original error; a connection whose
   * ROLLBACK failed is destroyed rather than returned to the pool in an unknown state.
   */
  async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let destroy = false;
    let began = false;
    try {
      await client.query('BEGIN');
      began = true;
      const result = await work(async (sql, params) => (await client.query(sql, params)).rows);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (began) await client.query('ROLLBACK').catch(() => (destroy = true));
      else destroy = true;
      throw this.explain(error);
    } finally {
      client.release(destroy || undefined);
    }
  }

  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }

  private async connect(): Promise<pg.PoolClient> {
    if (this.closed) throw new DoctorError('internal', 'the history store is closed');
    try {
      return await this.pool.connect();
    } catch (error) {
      if (/timeout exceeded when trying to connect/i.test((error as Error).message) && this.pool.totalCount >= (this.pool.options.max ?? 0)) {
        throw new DoctorError('timeout', `history store ${describeTarget(this.conn)}: every connection stayed busy for ${this.conn.connectTimeout}s`, { cause: error });
      }
      const explained = explainConnectError(error, this.conn, this.conn.database);
      throw new DoctorError(explained.code, `history store: ${explained.message}`, { cause: error });
    }
  }

  private explain(error: unknown): DoctorError {
    if (error instanceof DoctorError) return error;
    const explained = explainQueryError(error, this.conn, this.conn.database);
    return new DoctorError(explained.code, `history store: ${explained.message}`, { cause: error });
  }
}

