import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import { namedBlocks, readErrorOf } from './read-error.js';
import { AMCHECK_SQL, type AmcheckRow } from './scan-sql.js';
import type { DatabaseScan, RelationScan } from './scan-report.js';

/** Blocks one verify_heapam call covers: 32 MB of 8 kB pages, so each call stays well inside a statement timeout. */
export const AMCHECK_BLOCKS = 4096;

export interface Amcheck {
  /** The schema amcheck is installed in, quoted; undefined when it is not installed. */
  schema?: string;
  heap: boolean;
  btree: boolean;
  /** Why a part is not used, for the report. */
  reason?: string;
}

/** What of amcheck this role may run in this database (PostgreSQL 14+ for the heap). */
export async function amcheckIn(session: Session, versionNum: number): Promise<Amcheck> {
  const [row] = await session.query<AmcheckRow>(AMCHECK_SQL);
  if (!row?.schema) return { heap: false, btree: false, reason: 'amcheck is not installed in this database (CREATE EXTENSION amcheck, as a superuser)' };
  const heap = row.heap && versionNum >= 140000;
  const missing = [!row.btree && 'bt_index_check', !row.heap && versionNum >= 140000 && 'verify_heapam'].filter(Boolean);
  const reason = missing.length > 0 ? `this role may not run ${missing.join(' or ')} (GRANT EXECUTE ON FUNCTION … TO it, or run as a superuser)` : versionNum < 140000 ? 'verify_heapam needs PostgreSQL 14' : undefined;
  return { schema: quoteIdent(row.schema), heap, btree: row.btree, reason };
}

export function amcheckSummary(amcheck: Amcheck): DatabaseScan['amcheck'] {
  return { installed: amcheck.schema !== undefined, heap: amcheck.heap, btree: amcheck.btree, ...(amcheck.reason ? { reason: amcheck.reason } : {}) };
}

/**
 * verify_heapam over the blocks the probes read, in chunks: it stops with an ERROR at the first page it cannot
 * read, so the bad blocks are left out, and what it finds on the rest (xmin before relfrozenxid, broken line
 * pointers, bad TOAST pointers: things a plain read does not notice) becomes the table's amcheck findings.
 */
export async function verifyHeap(session: Session, amcheck: Amcheck, scan: RelationScan): Promise<number> {
  if (!amcheck.heap || !amcheck.schema || scan.pages === 0 || scan.status === 'unverified') return 0;
  const skip = new Set([...scan.blocks.map((b) => b.block), ...scan.unread_blocks]);
  let calls = 0;
  for (const [from, to] of spans(scan.pages, skip, AMCHECK_BLOCKS)) {
    calls++;
    try {
      const rows = await session.query<{ blkno: number; offnum: number | null; attnum: number | null; msg: string }>(
        `SELECT blkno::int8 AS blkno, offnum, attnum, msg FROM ${amcheck.schema}.verify_heapam($1::oid::regclass, false, true, 'none', $2, $3)`,
        [scan.oid, from, to - 1],
      );
      for (const r of rows) scan.amcheck.push({ block: Number(r.blkno), offset: r.offnum, attnum: r.attnum, message: r.msg });
    } catch (error) {
      if (error instanceof DoctorError && (error.code === 'unreachable' || error.code === 'unavailable')) throw error;
      const read = readErrorOf(error);
      const named = scan.path ? namedBlocks(read, scan.path) : undefined;
      if (read.sqlstate === '57014') scan.notes.push(`verify_heapam did not finish blocks ${from}..${to - 1} within the statement timeout`);
      else scan.amcheck.push({ block: named?.first ?? from, offset: null, attnum: null, message: `verify_heapam stopped on blocks ${from}..${to - 1}: ${read.message}` });
    }
  }
  if (scan.amcheck.length > 0) scan.status = 'corrupt';
  return calls;
}

/** [from, to) runs of at most `size` blocks of [0, pages) that avoid `skip`. */
function* spans(pages: number, skip: ReadonlySet<number>, size: number): Generator<[number, number]> {
  let start: number | undefined;
  for (let block = 0; block <= pages; block++) {
    const usable = block < pages && !skip.has(block);
    if (usable && start === undefined) start = block;
    if (start !== undefined && (!usable || block - start === size)) {
      yield [start, block];
      start = usable ? block : undefined;
    }
  }
}
