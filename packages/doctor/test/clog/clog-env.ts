import { findInstallation } from '@mvcc-doctor/lab';
import type { ClogReport } from '../../src/clog/check-clog.js';
import { cli } from '../check/run-check.js';

/** Why the missing-clog scenarios cannot run here (they need PostgreSQL 15 with pg_resetwal), or false. */
export const NO_RESETWAL: string | false = (() => {
  try {
    findInstallation({ major: 15, needs: ['pg_resetwal', 'pg_basebackup'] });
    return false;
  } catch (error) {
    return (error as Error).message;
  }
})();

/** `mvcc-doctor clog check|plan … --json` in-process: the exit code and the parsed document. */
export async function clogJson<T = ClogReport>(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; doc: T; stderr: string }> {
  const { code, stdout, stderr } = await cli(['clog', ...args, '--json'], env);
  return { code, doc: JSON.parse(stdout) as T, stderr };
}

/** The status bits of `xid` in a pg_xact segment's bytes, as the issue gives them: byte (xid & 0xFFFFF) >> 2, shift (xid % 4) * 2. */
export function bitsIn(segment: Buffer, offset: number, shift: number): number {
  return (segment[offset]! >> shift) & 3;
}
