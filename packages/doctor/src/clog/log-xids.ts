import { QUERY_TAG } from '../connect/safe-session.js';

/** Bytes read from the end of a server log: the newest errors are what an incident needs. */
export const LOG_TAIL_BYTES = 8 * 1024 * 1024;

/** One `could not access status of transaction N` in a server log, with the file its DETAIL names. */
export interface LogHit {
  /** An XID, or a MultiXactId when the file is under pg_multixact. */
  id: number;
  /** e.g. "pg_xact/0000", when the DETAIL follows. */
  file?: string;
  /** Times it appears. */
  count: number;
}

const ERROR = /could not access status of transaction (\d+)/g;
// slru.c SlruReportIOError's DETAIL; in stderr it is the next line, in csvlog/jsonlog a later field of the same
// line, its quotes doubled ("") or escaped (\").
const DETAIL = /Could not (?:open|read from|seek in|write to|fsync|close) file \\?"{1,2}([^"\\]+)/;

/**
 * Every distinct ID the server failed to look up, newest last, except in statements of mvcc-doctor itself. A
 * plain scan of the text, not a log parser: the message, its DETAIL and STATEMENT read the same in stderr,
 * csvlog and jsonlog, and only the tail of a log is read.
 */
export function findLogHits(text: string): LogHit[] {
  const hits = new Map<string, LogHit>();
  for (const m of text.matchAll(ERROR)) {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 400);
    const next = after.search(/could not access status of transaction/);
    const own = next < 0 ? after : after.slice(0, next);
    if (own.includes(QUERY_TAG)) continue; // our own pg_xact_status probe: the doctor never reports itself
    const file = DETAIL.exec(own)?.[1];
    const key = `${m[1]} ${file ?? ''}`;
    const hit = hits.get(key);
    if (hit) {
      hit.count++;
      hits.delete(key); // re-insert: the order is by last appearance
      hits.set(key, hit);
    } else {
      hits.set(key, { id: Number(m[1]), ...(file ? { file } : {}), count: 1 });
    }
  }
  return [...hits.values()];
}

/** Hits about pg_xact (or with no DETAIL): their IDs are transaction IDs. */
export function isClogHit(hit: LogHit): boolean {
  return hit.file === undefined || /^pg_(xact|clog)\//.test(hit.file);
}
