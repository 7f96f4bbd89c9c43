import { DoctorError } from '../connect/doctor-error.js';
import type { Session } from '../connect/safe-session.js';
import type { Outcome } from './bisect.js';
import { readErrorOf } from './read-error.js';
import { planNodeOf, tidCondition, type Tid, type TidMethod } from './tid.js';

/** A relation the scan reads, as the catalogs describe it. */
export interface HeapTarget {
  database: string;
  /** Schema-qualified and quoted. */
  relation: string;
  schema: string;
  name: string;
  oid: number;
  path: string | null;
}

/** The scan of this relation cannot go on (locked, dropped): the note says why. */
export class RelationAbort extends Error {}

/**
 * Reads rows of one table by ctid range, one statement per probe, and counts its probes. A probe reads every
 * column of every row (ROW(r.*)::text calls each type's output function, TOAST included), so a tuple that cannot
 * be decoded fails as surely as a page that fails its checksum.
 */
export class HeapProber {
  probes = 0;

  constructor(
    private readonly session: Session,
    readonly target: HeapTarget,
    readonly method: TidMethod,
    readonly maxOffset: number,
    /** Only read the pages and count the rows (checksums, page headers, visibility): a fraction of the cost, but a value that cannot be decoded goes unnoticed. */
    readonly pagesOnly = false,
  ) {}

  /** The probe's SQL for the rows in [from, to). */
  sql(from: Tid, to: Tid): string {
    if (this.pagesOnly) return this.countSql(from, to);
    return `SELECT count(*)::int8 AS rows, coalesce(sum(octet_length(ROW(r.*)::text)), 0)::int8 AS bytes FROM ONLY ${this.target.relation} AS r WHERE ${tidCondition(this.method, from, to, this.maxOffset)}`;
  }

  private countSql(from: Tid, to: Tid): string {
    return `SELECT count(*)::int8 AS rows FROM ONLY ${this.target.relation} AS r WHERE ${tidCondition(this.method, from, to, this.maxOffset)}`;
  }

  /** The table's blocks now (pg_relation_size locks it in ACCESS SHARE mode, hence here, with the lock's error handling). */
  async measure(): Promise<number> {
    try {
      const [row] = await this.session.query<{ pages: number }>(`SELECT (pg_relation_size($1::oid) / current_setting('block_size')::int)::int8 AS pages`, [this.target.oid]);
      return row?.pages ?? 0;
    } catch (error) {
      throw this.abortFor(error) ?? error;
    }
  }

  /** Whether the planner reads a range by ctid with this method (anything else would read the whole table, bad blocks included). */
  async planFits(pages: number): Promise<boolean> {
    const last = Math.max(1, pages);
    const rows = await this.session.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${this.sql({ block: 0, offset: 0 }, { block: last, offset: 0 })}`);
    return rows.some((r) => r['QUERY PLAN'].includes(planNodeOf(this.method)));
  }

  /** Only count the rows of [from, to): for blocks a failed probe has just read and decoded (see readsInOrder). */
  count(from: Tid, to: Tid): Promise<Outcome> {
    return this.probe(from, to, this.countSql(from, to));
  }

  async probe(from: Tid, to: Tid, sql = this.sql(from, to)): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      this.probes++;
      try {
        const [row] = await this.session.query<{ rows: number }>(sql);
        return { ok: true, rows: row?.rows ?? 0 };
      } catch (error) {
        const read = readErrorOf(error);
        if (error instanceof DoctorError && (error.code === 'unreachable' || error.code === 'unavailable')) throw error;
        // A standby cancels a query whose snapshot conflicts with replay: that says nothing about the pages.
        if (read.sqlstate === '40001' && attempt === 1) continue;
        const abort = this.abortFor(error);
        if (abort) throw abort;
        return { ok: false, error: read };
      }
    }
  }

  /** Errors that end the scan of this relation (not of the others), or undefined. */
  private abortFor(error: unknown): RelationAbort | undefined {
    const read = readErrorOf(error);
    if (read.sqlstate === '55P03') return new RelationAbort(`another session holds a lock on it that conflicts with reading (${read.message})`);
    if (read.sqlstate === '42P01' || (read.sqlstate === 'XX000' && /could not open relation with OID/.test(read.message))) return new RelationAbort('it was dropped during the scan');
    if (read.sqlstate === '42501') return new RelationAbort(`no privilege to read it (${read.message})`);
    return undefined;
  }
}
