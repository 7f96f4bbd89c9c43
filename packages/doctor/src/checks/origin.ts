import type { ActivityRow } from '../collect/rows.js';
import type { Origin } from './finding.js';

/**
 * The application code behind a session, from the tags @mvcc-doctor/pg puts on its work: a sqlcommenter
 * comment in the query text and a compact tag in application_name ("app@file:line").
 */
export function originOf(session: ActivityRow): Origin | undefined {
  const origin: Origin = { ...fromComment(session.query ?? '') };
  const tag = /^([^@\s]+)@(\S+:\d+)$/.exec(session.application_name ?? '');
  if (tag) {
    origin.app ??= tag[1];
    origin.origin ??= tag[2];
  }
  return Object.keys(origin).length ? origin : undefined;
}

/** sqlcommenter: /*key='url-encoded value',…*\/ anywhere in the statement. */
function fromComment(query: string): Origin {
  const comment = /\/\*((?:\s*[a-z_]+='[^']*'\s*,?)+)\*\//i.exec(query)?.[1];
  if (!comment) return {};
  const origin: Origin = {};
  for (const [, key, value] of comment.matchAll(/([a-z_]+)='([^']*)'/gi)) {
    const decoded = safeDecode(value!);
    if (key === 'app' || key === 'application') origin.app = decoded;
    else if (key === 'origin') origin.origin = decoded;
    else if (key === 'route' || key === 'job') origin.route = decoded;
    else if (key === 'traceparent') origin.traceparent = decoded;
  }
  return origin;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
