/** Stable codes for everything that stops a diagnosis; each maps to exit code 3 and a one-line message. */
export type DoctorErrorCode =
  | 'usage'
  | 'unreachable'
  | 'not-postgres'
  | 'auth'
  | 'unknown-database'
  | 'privilege'
  | 'timeout'
  | 'server-error'
  | 'internal';

export class DoctorError extends Error {
  constructor(
    readonly code: DoctorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DoctorError';
  }
}
