import { parseSqlComment, parseTag } from '@mvcc-doctor/pg/tags';
import type { ActivityRow } from '../collect/rows.js';
import type { Origin } from './finding.js';

/**
 * The application code behind a session, from the tags @mvcc-doctor/pg puts on its work: the sqlcommenter
 * comment of its last statement, and the application_name tag set in the same round trip as BEGIN
 * ("app@path:line#route"), which still names the code while the session sits idle in transaction.
 */
export function originOf(session: ActivityRow): Origin | undefined {
  const comment = parseSqlComment(session.query ?? '') ?? {};
  const tag = parseTag(session.application_name ?? '');
  const origin: Origin = {};
  const app = comment.app ?? comment.application ?? tag?.app;
  const code = comment.origin ?? tag?.origin;
  const route = comment.route ?? comment.job ?? tag?.route;
  if (app) origin.app = app;
  if (code) origin.origin = code;
  if (route) origin.route = route;
  if (comment.traceparent) origin.traceparent = comment.traceparent;
  return origin.origin || origin.route || origin.traceparent ? origin : undefined;
}
