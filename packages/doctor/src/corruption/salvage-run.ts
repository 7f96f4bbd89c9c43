import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { openSession, type Session } from '../connect/safe-session.js';
import { PROBE_SETTINGS } from './probe-settings.js';
import { readErrorOf } from './read-error.js';
import type { SalvagePlan } from './salvage-plan.js';

export interface SalvageResult {
  /** Rows in the new table or the file. */
  rows_saved: number;
  /** Rows the scan found readable; the same unless the table changed in between. */
  rows_readable: number;
  blocks_lost: number;
  tuples_lost: number;
  into: string | null;
  file: string | null;
  bytes: number | null;
  seconds: number;
}

export interface SalvageRunOptions {
  /** lock_timeout of the copy's session (creating the table locks the source in ACCESS SHARE mode). Default 1s. */
  lockTimeoutMs?: number;
}

/**
 * Carry out a salvage plan: into a new table (one transaction: CREATE TABLE, then an INSERT … SELECT per readable
 * range; nothing is left behind if any of it fails), or into a COPY file (read-only, no transaction ID). The
 * damaged table is only read. No statement timeout: a big copy takes what it takes.
 */
export async function runSalvage(conn: ConnOptions, plan: SalvagePlan, options: SalvageRunOptions = {}): Promise<SalvageResult> {
  assertRunnable(plan);
  const started = Date.now();
  const lockTimeoutMs = options.lockTimeoutMs ?? 1000;
  const base = { rows_readable: plan.rows_readable, blocks_lost: plan.blocks_lost, tuples_lost: plan.tuples_lost, into: plan.into, file: plan.file };
  if (plan.file !== null) {
    const { rows, bytes } = await copyToFile(conn, plan, plan.file, lockTimeoutMs);
    return { ...base, rows_saved: rows, bytes, seconds: (Date.now() - started) / 1000 };
  }
  // The one session of ours that writes: the copy goes into a table that did not exist before this transaction.
  const session = await openSession(conn, plan.database, { statementTimeoutMs: 0, lockTimeoutMs, settings: { ...PROBE_SETTINGS, default_transaction_read_only: 'off' } });
  try {
    const rows = await inTransaction(session, async () => {
      for (const statement of plan.statements) await session.query(statement);
      const [row] = await session.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ONLY ${plan.into}`);
      return row?.n ?? 0;
    }).catch((error: unknown) => {
      if (readErrorOf(error).sqlstate !== '54000') throw error;
      throw new DoctorError('server-error', `${readErrorOf(error).message} (in database "${plan.database}"): in the stop zone, salvage with --to FILE (COPY needs no transaction ID)`, { cause: error });
    });
    return { ...base, rows_saved: rows, bytes: null, seconds: (Date.now() - started) / 1000 };
  } finally {
    await session.close();
  }
}

/** What the server cannot do, said before anything is printed or asked: a standby cannot create the new table. */
export function assertRunnable(plan: SalvagePlan): void {
  if (plan.into !== null && plan.server.in_recovery) {
    throw new DoctorError('usage', `"${plan.database}" is on a standby (read-only): --into cannot create a table here; use --to FILE, or run the salvage on the primary`);
  }
}

async function inTransaction<T>(session: Session, work: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  try {
    const result = await work();
    await session.query('COMMIT');
    return result;
  } catch (error) {
    // The original error is the one worth reading; a failed ROLLBACK only means the session is gone.
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function copyToFile(conn: ConnOptions, plan: SalvagePlan, file: string, lockTimeoutMs: number): Promise<{ rows: number; bytes: number }> {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new DoctorError('usage', `--to: ${file} already exists; salvage writes a new file`, { cause: error });
    throw new DoctorError('unreadable', `--to: cannot create ${file}: ${code ?? String(error)}`, { cause: error });
  }
  let bytes = 0;
  let rows = 0;
  let done = false;
  const session = await openSession(conn, plan.database, { statementTimeoutMs: 0, lockTimeoutMs, settings: PROBE_SETTINGS }).catch((error: unknown) => {
    closeSync(fd);
    rmSync(file, { force: true });
    throw error;
  });
  try {
    for (const statement of plan.statements) {
      rows += await session.copyOut(statement, (chunk) => {
        writeSync(fd, chunk);
        bytes += chunk.length;
      });
    }
    done = true;
  } finally {
    closeSync(fd);
    // Half a salvage looks like a whole one: a file is left only when every range was copied.
    if (!done) rmSync(file, { force: true });
    await session.close();
  }
  return { rows, bytes };
}
