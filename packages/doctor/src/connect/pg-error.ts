import { DoctorError } from './doctor-error.js';

/** What we read of a PostgreSQL error: its SQLSTATE, first message line and CONTEXT. */
export interface PgError {
  /** A SQLSTATE, or a Node socket code (ECONNRESET) when the connection itself failed. */
  code?: string;
  message: string;
  /** The server's CONTEXT, e.g. "while scanning block 40 of relation …". */
  where?: string;
}

/** The server's error behind `error`: the error itself, or the one a DoctorError of our sessions wraps. */
export function pgErrorOf(error: unknown): PgError {
  const raw = error instanceof DoctorError && error.cause !== undefined ? error.cause : error;
  const e = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as { code?: unknown; message?: unknown; where?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    message: (typeof e.message === 'string' && e.message ? e.message : 'unknown error').split('\n')[0]!,
    where: typeof e.where === 'string' ? e.where.split('\n')[0] : undefined,
  };
}
