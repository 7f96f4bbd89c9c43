/** Why the lab could not give you a cluster; `code` is stable, `message` names what is wrong. */
export type LabErrorCode =
  | 'missing-binary'
  | 'port-in-use'
  | 'initdb-failed'
  | 'start-failed'
  | 'stop-failed'
  | 'os-user'
  | 'resetwal-failed';

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LabError';
  }
}
