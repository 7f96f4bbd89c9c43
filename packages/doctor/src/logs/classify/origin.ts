import { parseSqlComment, parseTag } from '@mvcc-doctor/pg/tags';
import type { Origin } from '../../engine/finding.js';
import { marginaliaLine, parseMarginalia } from './marginalia.js';

/**
 * The application code behind a log record: the sqlcommenter comment @mvcc-doctor/pg (and OpenTelemetry,
 * Django, Rails 7) puts on statements, else a marginalia comment, from the first text that carries one; then the
 * application_name tag ("app@path:line#route") or, when the name is not a tag, the name itself as the app.
 */
export function originOf(application: string | undefined, texts: readonly (string | undefined)[]): Origin | undefined {
  const origin: Origin = {};
  for (const text of texts) {
    if (!text || !text.includes('/*')) continue;
    const comment = parseSqlComment(text);
    if (comment) {
      fill(origin, {
        app: comment.app ?? comment.application,
        origin: comment.origin,
        route: comment.route ?? route(comment.controller, comment.action) ?? comment.job,
        traceparent: comment.traceparent,
      });
      break;
    }
    const marginalia = parseMarginalia(text);
    if (marginalia) {
      const line = marginalia.line ?? marginalia.source_location;
      fill(origin, {
        app: marginalia.application,
        origin: line ? marginaliaLine(line) : undefined,
        route: route(marginalia.controller ?? marginalia.namespaced_controller, marginalia.action) ?? marginalia.job,
      });
      break;
    }
  }
  if (application) {
    const tag = parseTag(application);
    if (tag) fill(origin, { app: tag.app, origin: tag.origin, route: tag.route });
    else fill(origin, { app: application });
  }
  return Object.keys(origin).length > 0 ? origin : undefined;
}

function route(controller: string | undefined, action: string | undefined): string | undefined {
  if (controller && action) return `${controller}#${action}`;
  return controller ?? undefined;
}

/** Keep what is already known: the statement's own comment names the code more precisely than a session's name. */
function fill(origin: Origin, from: Partial<Record<'app' | 'origin' | 'route' | 'traceparent', string | undefined>>): void {
  for (const key of ['app', 'origin', 'route', 'traceparent'] as const) {
    const value = from[key];
    if (value && origin[key] === undefined) origin[key] = value;
  }
}
