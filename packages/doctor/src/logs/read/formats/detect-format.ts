import type { LogFormat } from '../../log-record.js';
import { SEVERITY_PATTERN } from '../prefix/compile-prefix.js';

/** A file's format as its first lines show it, or what it is when it is not a PostgreSQL log. */
export type FormatVerdict = { format: LogFormat } | { notPostgres: 'pgbouncer' | 'json' | 'unknown' };

export const SYSLOG_LINE = /^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) \S+ ([^\s[\]:]+)\[\d+\]: /;
export const LOGPLEX_LINE = /^\S+ (?:d\.[\w-]+ )?app\[postgres(?:\.\d+)?\]:? /;
const CSV_LINE = /^"?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [^",]*)?"?,/;
const PGBOUNCER_LINE =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [A-Za-z]{2,6}| [+-]\d\d(?::?\d\d)?)? (?:\[\d+\]|\d+) (?:LOG|WARNING|ERROR|NOISE|DEBUG|FATAL) /;
const SEVERITY = new RegExp(`(?<![A-Za-z])(?:${SEVERITY_PATTERN}):(?: |\\t|$)`);

/**
 * Votes over the sample's lines: each line says which format it looks like; the format with most votes wins.
 * JSON lines are told apart by their keys: Cloud Logging's textPayload, CloudNativePG's record, jsonlog's
 * error_severity.
 */
export function detectFormat(lines: readonly string[]): FormatVerdict {
  const votes = new Map<string, number>();
  const vote = (kind: string) => votes.set(kind, (votes.get(kind) ?? 0) + 1);
  let jsonLooked = 0;
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('{')) {
      if (jsonLooked++ < 50) vote(jsonKind(line));
      else vote(votes.size > 0 ? [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0] : 'json');
    } else if (LOGPLEX_LINE.test(line)) vote('logplex');
    else if (SYSLOG_LINE.test(line)) vote('syslog');
    else if (PGBOUNCER_LINE.test(line)) vote('pgbouncer');
    else if (CSV_LINE.test(line) && countCommas(line) >= 12) vote('csvlog');
    else if (SEVERITY.test(line.length > 600 ? line.slice(0, 600) : line)) vote('stderr');
  }
  const winner = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!winner) return { notPostgres: 'unknown' };
  const kind = winner[0];
  if (kind === 'pgbouncer' || kind === 'json' || kind === 'unknown') return { notPostgres: kind };
  return { format: kind as LogFormat };
}

function jsonKind(line: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'unknown';
  }
  if (typeof value !== 'object' || value === null) return 'json';
  const object = value as Record<string, unknown>;
  if (typeof object.textPayload === 'string') return 'cloudsql';
  if (typeof object.record === 'object' && object.record !== null) return 'cnpg';
  if (object.logger !== undefined && object.msg !== undefined && object.ts !== undefined) return 'cnpg';
  if (typeof object.error_severity === 'string') return 'jsonlog';
  return 'json';
}

function countCommas(line: string): number {
  let n = 0;
  for (let i = line.indexOf(','); i !== -1; i = line.indexOf(',', i + 1)) n++;
  return n;
}
