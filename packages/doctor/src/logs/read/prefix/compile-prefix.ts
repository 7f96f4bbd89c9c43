import { DoctorError } from '../../../connect/doctor-error.js';

/** The message levels a line can carry after its prefix: a record's own, or one of the lines folded into it. */
export const SEVERITY_PATTERN = 'LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION';

/** Prefix fields a LogRecord carries. */
export type PrefixField =
  | 'time'
  | 'epoch'
  | 'pid'
  | 'user'
  | 'database'
  | 'application'
  | 'client'
  | 'sessionLine'
  | 'sessionId'
  | 'virtualXid'
  | 'xid'
  | 'sqlstate'
  | 'backendType'
  | 'queryId';

/** A log_line_prefix compiled once: one anchored regex and where each field is among its groups. */
export interface CompiledPrefix {
  readonly prefix: string;
  /** Matches the prefix, the severity and the spaces after it; lastIndex-free (anchored with ^). */
  readonly regex: RegExp;
  /** Capture group of each field the prefix carries. */
  readonly groups: Readonly<Partial<Record<PrefixField, number>>>;
  /** Capture group of the severity, and of a log_error_verbosity=verbose SQLSTATE after it. */
  readonly severityGroup: number;
  readonly verboseStateGroup: number;
  /** How many escapes carry fields: detection prefers the prefix that explains more of the line. */
  readonly fieldCount: number;
}

// Names, application_name and command tags are at most NAMEDATALEN-1 = 63 bytes; bounding the groups keeps a line
// that does not match (a 1 MB one, say) from costing more than a few thousand steps per group. Hosts are greedy
// character classes instead: bounded ones ({0,255}) made the whole regex three times slower (measured).
// User and database names with spaces are rare (pgBadger does not read them at all); application names with spaces
// are common ("pgAdmin 4 - CONN", a tag's "POST /orders"): %u and %d take no space, and %a is greedy, so the
// longest application name that lets the rest of the prefix match wins, not the shortest.
const ROLE_OR_DB = '(\\S{0,63}?)';
const APPLICATION = '(.{0,63})';
const COMMAND_TAG = '(?:.{0,63}?)';
/** What %b prints for PostgreSQL's own processes (a background worker prints its bgw_type: any name, last). */
export const BACKEND_TYPES = [
  'client backend', 'autovacuum worker', 'autovacuum launcher', 'background writer', 'checkpointer', 'walwriter',
  'walsender', 'walreceiver', 'walsummarizer', 'startup', 'archiver', 'logger', 'io worker', 'slotsync worker',
  'logical replication launcher', 'logical replication worker', 'logical replication apply worker',
  'logical replication tablesync worker', 'parallel worker', 'parallel apply worker', 'background worker',
  'standalone backend', 'dead-end client backend', 'postmaster',
];
const BACKEND_TYPE = `(${BACKEND_TYPES.join('|')}|.{0,63}?)`; // known ones first, then any name
const ZONE = '(?: (?:[A-Za-z]{1,6}|[+-]\\d\\d(?::?\\d\\d)?))?';
const STAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';

/** Regex and field of each escape (see log_line_prefix in the PostgreSQL docs); a null field is matched, not kept. */
const ESCAPES: Record<string, [pattern: string, field: PrefixField | null]> = {
  a: [APPLICATION, 'application'],
  u: [ROLE_OR_DB, 'user'],
  d: [ROLE_OR_DB, 'database'],
  r: ['(\\[local\\]|[^\\s()]*\\(\\d+\\)|[^\\s()]*)', 'client'],
  h: ['(\\[local\\]|[^\\s()]*)', 'client'],
  L: ['(?:\\[none\\]|[^\\s]*?)', null],
  b: [BACKEND_TYPE, 'backendType'],
  p: ['(\\d+)', 'pid'],
  P: ['(?:\\d*)', null],
  t: [`(${STAMP}${ZONE})`, 'time'],
  m: [`(${STAMP}\\.\\d{3}${ZONE})`, 'time'],
  n: ['(\\d+\\.\\d{3})', 'epoch'],
  i: [COMMAND_TAG, null],
  e: ['([0-9A-Z]{5})', 'sqlstate'],
  c: ['([0-9a-f]+\\.[0-9a-f]+)', 'sessionId'],
  l: ['(\\d+)', 'sessionLine'],
  s: [`(?:${STAMP}${ZONE})`, null],
  v: ['((?:-?\\d+/-?\\d+)?)', 'virtualXid'],
  x: ['(\\d*)', 'xid'],
  Q: ['(-?\\d*)', 'queryId'],
};

const cache = new Map<string, CompiledPrefix>();

/**
 * Compiles a log_line_prefix ("%m [%p] %q%u@%d ") into a matcher of a whole line's start: prefix, severity and
 * the spaces after it. %q makes the rest of the prefix optional (background processes print only the part
 * before it); padding (%-10a, %5p) allows the spaces it adds. A DoctorError('usage') for an empty prefix.
 */
export function compilePrefix(prefix: string): CompiledPrefix {
  const cached = cache.get(prefix);
  if (cached) return cached;
  let body = '';
  let optional = false;
  let group = 0;
  let fieldCount = 0;
  const groups: Partial<Record<PrefixField, number>> = {};
  for (let i = 0; i < prefix.length; i++) {
    const char = prefix[i]!;
    if (char !== '%' || i === prefix.length - 1) {
      body += escapeRegex(char);
      continue;
    }
    const padding = /^-?\d+/.exec(prefix.slice(i + 1))?.[0] ?? '';
    i += 1 + padding.length;
    const escape = prefix[i];
    if (escape === undefined) break;
    if (escape === '%') {
      body += '%';
      continue;
    }
    if (escape === 'q') {
      if (!optional) body += '(?:';
      optional = true;
      continue;
    }
    const known = ESCAPES[escape];
    // PostgreSQL prints nothing for an escape it does not know.
    if (!known) continue;
    const [pattern, field] = known;
    const pad = padding === '' ? '' : ' *';
    body += padding.startsWith('-') ? pattern + pad : pad + pattern;
    const captures = captureCount(pattern);
    if (field && captures > 0 && groups[field] === undefined) {
      groups[field] = group + 1;
      fieldCount++;
    }
    group += captures;
  }
  if (optional) body += ')?';
  if (body === '' && prefix !== '') throw new DoctorError('usage', `log_line_prefix "${prefix}" has nothing to match`);
  const source = `^${body}(${SEVERITY_PATTERN}):[ \\t]*(?:(?=[A-Z]*\\d)([0-9A-Z]{5}): )?`;
  const compiled: CompiledPrefix = {
    prefix,
    regex: new RegExp(source),
    groups,
    severityGroup: group + 1,
    verboseStateGroup: group + 2,
    fieldCount,
  };
  if (cache.size > 256) cache.clear();
  cache.set(prefix, compiled);
  return compiled;
}

/** Capture groups of a pattern: what an empty alternative's match reports. */
function captureCount(pattern: string): number {
  return new RegExp(`${pattern}|`).exec('')!.length - 1;
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}
