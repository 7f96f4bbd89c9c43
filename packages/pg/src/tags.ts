// The tag formats, pure and dependency-free so the doctor can import them to read what the library wrote.
//
// application_name (at most 63 bytes, printable ASCII):  <app>@<path>:<line>[#<route or job>]
//   e.g. `orders@src/orders/create.ts:88#POST /orders`; a path too long to fit loses leading directories
//   and starts with `...` (`orders@.../create.ts:88`). The line number is never cut.
// SQL comment (sqlcommenter): /*app='orders',origin='src%2Forders%2Fcreate.ts%3A88',route='…',traceparent='…'*/
//   keys sorted, keys and values URL-encoded, `'` in them escaped as `\'`.

/** The server keeps application_name to NAMEDATALEN - 1 bytes. */
export const APPLICATION_NAME_MAX_BYTES = 63;
const APP_MAX_CHARS = 24;
const TRUNCATED = '...';

/** What a transaction tag says. */
export interface TagFields {
  /** The application's name. */
  app: string;
  /** `path:line` of the code that opened the transaction. */
  origin: string;
  /** The HTTP route or job name the transaction ran for. */
  route?: string;
}

/** A parsed application_name tag. */
export interface ParsedTag extends TagFields {
  /** The origin's path (possibly shortened, then starting with `...`). */
  file: string;
  line: number;
  /** True when the path was shortened to fit 63 bytes. */
  truncated: boolean;
}

/** Build the application_name tag; always at most 63 bytes of printable ASCII. */
export function formatTag(fields: TagFields, maxBytes = APPLICATION_NAME_MAX_BYTES): string {
  const app = printable(fields.app).replace(/[@#]/g, '_').slice(0, APP_MAX_CHARS) || 'app';
  const split = fields.origin.lastIndexOf(':');
  const hasLine = split > 0 && /^\d+$/.test(fields.origin.slice(split + 1));
  const path = printable(hasLine ? fields.origin.slice(0, split) : fields.origin).replace(/\\/g, '/');
  const line = hasLine ? fields.origin.slice(split + 1) : '0';
  const room = maxBytes - app.length - 1 - line.length - 1;
  let tag = `${app}@${shortenPath(path, room)}:${line}`;
  const routeRoom = maxBytes - tag.length - 1;
  if (fields.route && routeRoom >= 1) tag += `#${printable(fields.route).slice(0, routeRoom)}`;
  return tag;
}

/** Read a tag back from `pg_stat_activity.application_name`; undefined when it is not one of ours. */
export function parseTag(applicationName: string): ParsedTag | undefined {
  const match = /^([^@#]+)@(.+?):(\d+)(?:#(.*))?$/s.exec(applicationName);
  if (!match) return undefined;
  const [, app = '', file = '', line = '0', route] = match;
  const tag: ParsedTag = { app, origin: `${file}:${line}`, file, line: Number(line), truncated: file.startsWith(TRUNCATED) };
  if (route !== undefined && route !== '') tag.route = route;
  return tag;
}

/** Build a sqlcommenter comment from key/value pairs (empty and undefined values left out); '' when nothing is left. */
export function formatSqlComment(pairs: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const key of Object.keys(pairs).sort()) {
    const value = pairs[key];
    if (value === undefined || value === '') continue;
    parts.push(`${encode(key)}='${encode(value)}'`);
  }
  return parts.length === 0 ? '' : `/*${parts.join(',')}*/`;
}

/**
 * Read the sqlcommenter pairs of a query text (as `pg_stat_activity.query`, `pg_stat_statements.query` or a log
 * line shows it): the comment leading the text, else the one ending it. Undefined when there is none.
 */
export function parseSqlComment(queryText: string): Record<string, string> | undefined {
  const leading = /^\s*\/\*([\s\S]*?)\*\//.exec(queryText);
  const fromLeading = leading ? parsePairs(leading[1] ?? '') : undefined;
  if (fromLeading) return fromLeading;
  const trailing = /\/\*((?:(?!\/\*)[\s\S])*?)\*\/\s*;?\s*$/.exec(queryText);
  return trailing ? parsePairs(trailing[1] ?? '') : undefined;
}

function parsePairs(raw: string): Record<string, string> | undefined {
  const body = raw.trim();
  const pair = /([^=,'\s]+)='((?:[^'\\]|\\.)*)'(,|$)/y;
  const result: Record<string, string> = {};
  let count = 0;
  pair.lastIndex = 0;
  while (pair.lastIndex < body.length) {
    const match = pair.exec(body);
    if (!match) return undefined;
    result[decode(match[1] ?? '')] = decode(match[2] ?? '');
    count += 1;
    if (match[3] === '') break;
  }
  return count > 0 && pair.lastIndex === body.length ? result : undefined;
}

function shortenPath(path: string, room: number): string {
  if (path.length <= room) return path;
  const segments = path.split('/');
  while (segments.length > 1) {
    segments.shift();
    const candidate = `${TRUNCATED}/${segments.join('/')}`;
    if (candidate.length <= room) return candidate;
  }
  return TRUNCATED + path.slice(path.length - Math.max(room - TRUNCATED.length, 1));
}

/** Keep printable ASCII only: the server would escape anything else in application_name. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/'/g, "\\'");
}

function decode(text: string): string {
  const unescaped = text.replace(/\\(.)/g, '$1');
  try {
    return decodeURIComponent(unescaped);
  } catch {
    return unescaped;
  }
}
