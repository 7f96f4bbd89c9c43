/** Stable codes for everything that stops a diagnosis; each maps to exit code 3 and a one-line message. */
export type DoctorErrorCode =
  /** Bad flags, arguments, durations, conninfo strings or URLs. */
  | 'usage'
  /** Nothing answered: connection refused, unknown host, no route, TCP connect timeout, connection lost. */
  | 'unreachable'
  /** Something answered, but not the PostgreSQL protocol (an HTTP or SSH port, say). */
  | 'not-postgres'
  /** Wrong or missing password, no pg_hba.conf entry. */
  | 'auth'
  | 'unknown-database'
  /** A table or other relation named on the command line is not in the database. */
  | 'unknown-relation'
  /** The role may not log in, lacks CONNECT on the database, or lacks a privilege a query needs. */
  | 'privilege'
  /** PostgreSQL answered but will not serve now: starting up, shutting down, out of connection slots. */
  | 'unavailable'
  /** statement_timeout or lock_timeout ended a query. */
  | 'timeout'
  | 'server-error'
  /** A part of mvcc-doctor that this installation lacks (the demo's lab is not published), or a program it runs. */
  | 'not-installed'
  /** An input file or directory that cannot be read: missing, no permission, a device. */
  | 'unreadable'
  | 'internal';

/** What the code is called in the one-line message, so a reader knows the kind of failure at a glance. */
const KIND: Record<DoctorErrorCode, string> = {
  usage: 'usage error',
  unreachable: 'unreachable',
  'not-postgres': 'not PostgreSQL',
  auth: 'authentication failed',
  'unknown-database': 'unknown database',
  'unknown-relation': 'unknown relation',
  privilege: 'insufficient privilege',
  unavailable: 'server unavailable',
  timeout: 'timeout',
  'server-error': 'server error',
  'not-installed': 'not installed',
  unreadable: 'cannot read',
  internal: 'internal error',
};

export class DoctorError extends Error {
  constructor(
    readonly code: DoctorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DoctorError';
  }

  /** "<kind>: <message>" on one line, e.g. `authentication failed: password authentication failed for user "app"`. */
  get line(): string {
    return `${KIND[this.code]}: ${this.message.replace(/\s*\n\s*/g, ' ')}`;
  }
}
