import type { Config } from './config.js';
import type { WorkContext } from './context.js';
import { formatSqlComment, formatTag } from './tags.js';
import type { Tagging } from './transaction-client.js';

/** What one transaction is tagged with: its application_name (undefined: not set) and its statements' comment. */
export interface TransactionTags {
  readonly applicationName: string | undefined;
  readonly tagging: Tagging;
}

interface Built {
  tag: string;
  /** The comment without traceparent (which changes per request; it sorts last, so it is appended). */
  comment: string;
}

const CACHE_LIMIT = 2_000;
// A call site runs for a handful of routes: building the strings once per combination keeps them off the hot path.
const cache = new Map<string, Built>();

/** Build the tags of a transaction opened at `origin` in `context`. */
export function transactionTags(app: string, origin: string, context: WorkContext, settings: Config): TransactionTags {
  const key = `${app}\n${origin}\n${context.route ?? ''}\n${context.job ?? ''}`;
  let built = cache.get(key);
  if (!built) {
    built = {
      tag: formatTag({ app, origin, route: context.route ?? context.job }),
      comment: formatSqlComment({ app, origin, route: context.route, job: context.job }),
    };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, built);
  }
  // withContext only keeps a well-formed traceparent ([0-9a-f-]), which needs no encoding.
  const comment = context.traceparent ? `${built.comment.slice(0, -2)},traceparent='${context.traceparent}'*/` : built.comment;
  return {
    applicationName: settings.applicationName ? built.tag : undefined,
    tagging: { comment: settings.comment ? comment : '', position: settings.comment },
  };
}
