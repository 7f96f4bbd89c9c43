import { locateXid } from '../clog/xid-location.js';
import type { PgError } from '../connect/pg-error.js';
import { corruptionScanCommand, salvagePlanCommand } from '../corruption/next-step.js';
import { formatCount } from '../report/format.js';
import type { PlannedRelation } from './freeze-plan.js';

/** What went wrong with one VACUUM, as the run decides what to do about it. */
export type FailureKind = 'corruption' | 'index-corruption' | 'locked' | 'cancelled' | 'gone' | 'connection' | 'xid-needed' | 'other';

export interface FailureAdvice {
  kind: FailureKind;
  /** Try once more at the end of the run (a lock may be gone by then, a connection can be made again). */
  retry: boolean;
  /** The next step for a person, in one or two sentences. */
  nextStep: string;
}


const CLOG = /could not access status of transaction (\d+)/i;
const LOST = /Connection terminated|not queryable|ECONNRESET|EPIPE|socket hang up|connection.*(closed|lost)/i;

/** Classify the error of a VACUUM and say what to do next; the run goes on with the other relations either way. */
export function adviseFailure(error: PgError, relation: PlannedRelation, lockTimeoutMs: number): FailureAdvice {
  const code = error.code ?? '';
  const message = error.message ?? '';
  const where = `in database "${relation.database}"`;
  const holds = `Until it is frozen it holds "${relation.database}" at ${formatCount(relation.xidAge)} XIDs`;
  // Before the bad-block test: a missing pg_xact file is also SQLSTATE 58P01, but no block is bad.
  const clog = CLOG.exec(message);
  if (clog) {
    const at = locateXid(Number(clog[1]));
    return {
      kind: 'corruption',
      retry: false,
      nextStep:
        `${holds}. The commit status of transaction ${clog[1]} cannot be read: its bits are at byte ${at.offset} of ${at.file}, a file that is missing or short. ` +
        `Run mvcc-doctor clog check --xid ${clog[1]} (with this connection, or --pgdata on the database host) to list every missing segment, ` +
        `then mvcc-doctor clog plan --xid ${clog[1]}: copy the file from a standby or a backup first.`,
    };
  }
  if (code === 'XX001' || code === '58P01' || /invalid page in block|could not read block/i.test(message)) {
    return {
      kind: 'corruption',
      retry: false,
      nextStep:
        `${holds}. Locate the bad block(s): ${corruptionScanCommand(relation.database, relation.relation)}; ` +
        `then copy out every row that reads: ${salvagePlanCommand(relation.database, relation.relation, salvagedName(relation))}, and swap the tables as that plan shows. ` +
        `A standby or a backup may hold a good copy of the page.`,
    };
  }
  if (code === 'XX002') {
    return {
      kind: 'index-corruption',
      retry: false,
      nextStep:
        `An index of it is corrupted: run freeze again with --emergency (INDEX_CLEANUP off leaves the indexes alone), then REINDEX it once the database accepts writes again. ` +
        `Which index, and whether the table too: ${corruptionScanCommand(relation.database, relation.relation)}`,
    };
  }
  if (code === '55P03') {
    return {
      kind: 'locked',
      retry: true,
      nextStep:
        `Someone held a lock on it for longer than lock_timeout (${lockTimeoutMs} ms); it is retried once at the end. If it fails again, find the holder ${where}: ` +
        `SELECT pid, mode, granted FROM pg_locks WHERE relation = ${relation.oid}; then release it and run freeze again.`,
    };
  }
  if (code === '57014') {
    return { kind: 'cancelled', retry: false, nextStep: 'It was cancelled (pg_cancel_backend, or a statement_timeout of the role or database); run freeze again to continue.' };
  }
  if (code === '42P01' || code === '3F000') {
    return { kind: 'gone', retry: false, nextStep: 'It was dropped after the plan was made: nothing to do.' };
  }
  if (code === '54000' || /not accepting commands to avoid wraparound/i.test(message)) {
    return { kind: 'xid-needed', retry: false, nextStep: `It needed a new transaction ID, which the stop zone refuses; see the server log ${where} for what asked for it.` };
  }
  if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08') || (!/^[0-9A-Z]{5}$/.test(code) && LOST.test(message))) {
    return { kind: 'connection', retry: true, nextStep: 'The session was lost; it is retried once at the end with a new one. If the server restarted, run freeze again.' };
  }
  return { kind: 'other', retry: false, nextStep: `See the server log ${where} around this time for the full error, fix its cause, and run freeze again.` };
}

/** The new table a salvage of `relation` would make: its name with "_salvaged", in its schema. */
function salvagedName(relation: PlannedRelation): string {
  return `"${relation.schema.replace(/"/g, '""')}"."${`${relation.name}_salvaged`.replace(/"/g, '""')}"`;
}
