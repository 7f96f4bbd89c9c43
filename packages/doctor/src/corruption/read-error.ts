import { pgErrorOf } from '../connect/pg-error.js';

/** A read that failed, as the server said it: the SQLSTATE and the first line of the message. */
export interface ReadError {
  sqlstate: string | null;
  message: string;
}

export function readErrorOf(error: unknown): ReadError {
  const e = pgErrorOf(error);
  return { sqlstate: e.code ?? null, message: e.message };
}

// bufmgr.c / md.c, PostgreSQL 12–18:
//   invalid page in block %u of relation %s                  (≤ 17 unquoted, 18 quoted)
//   %u invalid pages among blocks %u..%u of relation "%s"     (18, one read of several blocks)
//   could not read block %u in file "%s": …                   (≤ 17; the file may carry a segment suffix ".1")
//   could not read blocks %u..%u in file "%s": …              (18)
const ONE_PAGE = /^invalid page in block (\d+) of relation "?([^"]+?)"?$/;
const SOME_PAGES = /^\d+ invalid pages among blocks (\d+)\.\.(\d+) of relation "?([^"]+?)"?$/;
const IO_BLOCK = /^could not read block (\d+) in file "([^"]+)"/;
const IO_BLOCKS = /^could not read blocks (\d+)\.\.(\d+) in file "([^"]+)"/;

/** The blocks of the relation at `path` (pg_relation_filepath) that an error names, first and last; undefined when it names none of that relation. */
export function namedBlocks(error: ReadError, path: string): { first: number; last: number } | undefined {
  const message = error.message;
  let match = ONE_PAGE.exec(message) ?? IO_BLOCK.exec(message);
  if (match && samePath(match[2]!, path)) return { first: Number(match[1]), last: Number(match[1]) };
  match = SOME_PAGES.exec(message) ?? IO_BLOCKS.exec(message);
  if (match && samePath(match[3]!, path)) return { first: Number(match[1]), last: Number(match[2]) };
  return undefined;
}

/** "base/5/16384" names the relation, and so do its later segment files "base/5/16384.1". */
function samePath(named: string, path: string): boolean {
  return named === path || named.startsWith(`${path}.`) || named.endsWith(`/${path}`) || named.includes(`/${path}.`);
}

/** The whole page could not be read (checksum, header, I/O): none of its tuples can be, so there is nothing to split inside it. */
export function isPageError(error: ReadError): boolean {
  return /^(invalid page in block|\d+ invalid pages among blocks|could not read blocks? )/.test(error.message);
}

/** statement_timeout ended the probe: the range was too long to read in time, which says nothing about its pages. */
export function isTimeout(error: ReadError): boolean {
  return error.sqlstate === '57014' && /statement timeout/i.test(error.message);
}
