import { beginSql, hasBeginOptions, type BeginOptions } from './begin-sql.js';
import type { Config } from './config.js';
import type { WorkContext } from './context.js';
import { formatSqlComment, formatTag } from './tags.js';
import { tag, type Tagging } from './transaction-client.js';

/** What one transaction is tagged with: its statements' comment, and the BEGIN that sets its application_name. */
export interface TransactionTags {
  /** The application_name tag (undefined: not set). */
  readonly applicationName: string | undefined;
  readonly tagging: Tagging;
  /** BEGIN, its modes, `SET LOCAL application_name` and the timeouts: one simple-protocol string, tagged. */
  readonly begin: string;
  /** COMMIT, tagged. */
  readonly commit: string;
}

/** Everything a call site in a work context is tagged with, built once. */
interface Built {
  tag: string;
  /** The comment without traceparent (which changes per request; it sorts last, so it is appended). */
  comment: string;
  /** The finished tags of a transaction with no BEGIN options and no traceparent, by switches (see `slot`). */
  plain: (TransactionTags | undefined)[];
  /** A transaction of this call site sent a statement that carries no comment (see Tagging.site). */
  sentUntagged: boolean;
}

const CACHE_LIMIT = 2_000;
const NO_OPTIONS: BeginOptions = Object.freeze({});
const POSITIONS = ['prepend', 'append', false] as const;
// A call site runs for a handful of routes: the strings are built once per combination, and the common transaction
// (no BEGIN options, no traceparent) gets its finished tags from here. Nested maps keyed by strings that are the same
// objects every time (the app's name, the cached origin, the route): no key string is built per transaction.
// A route or job left out (undefined) is a key of its own: the tag names `route ?? job`, so '' and undefined differ.
let cache = new Map<string, Map<string, Map<string | undefined, Map<string | undefined, Built>>>>();
let cached = 0;

/** Build the tags of a transaction opened at `origin` in `context`, with its BEGIN. */
export function transactionTags(app: string, origin: string, context: WorkContext, settings: Config, options: BeginOptions = NO_OPTIONS): TransactionTags {
  const built = lookup(app, origin, context.route, context.job);
  const plain = context.traceparent === undefined && !hasBeginOptions(options);
  // Named by application_name when configured, or when the comment cannot name all it sends (see Tagging.site).
  const named = settings.applicationName || built.sentUntagged;
  const slot = POSITIONS.indexOf(settings.comment) * 2 + (named ? 1 : 0);
  if (plain) {
    const done = built.plain[slot];
    if (done !== undefined) return done;
  }
  // withContext only keeps a well-formed traceparent ([0-9a-f-]), which needs no encoding.
  const comment = context.traceparent ? `${built.comment.slice(0, -2)},traceparent='${context.traceparent}'*/` : built.comment;
  const applicationName = named ? built.tag : undefined;
  const tagging: Tagging = { comment: settings.comment ? comment : '', position: settings.comment, site: built };
  // Shared by the call site's transactions: the statements they send are checked and tagged once.
  if (plain) tagging.statements = new Map();
  const tags: TransactionTags = { applicationName, tagging, begin: tag(beginSql(options, applicationName), tagging), commit: tag('COMMIT', tagging) };
  // Shared from now on by every transaction of this call site: nobody may change it.
  if (plain) built.plain[slot] = Object.freeze({ ...tags, tagging: Object.freeze(tagging) });
  return tags;
}

function lookup(app: string, origin: string, route: string | undefined, job: string | undefined): Built {
  let byOrigin = cache.get(app);
  let byRoute = byOrigin?.get(origin);
  let byJob = byRoute?.get(route);
  let built = byJob?.get(job);
  if (built !== undefined) return built;
  if (++cached > CACHE_LIMIT) {
    cache = new Map();
    cached = 1;
    byOrigin = byRoute = byJob = undefined;
  }
  built = {
    tag: formatTag({ app, origin, route: route ?? job }),
    comment: formatSqlComment({ app, origin, route, job }),
    plain: [],
    sentUntagged: false,
  };
  if (!byOrigin) cache.set(app, (byOrigin = new Map()));
  if (!byRoute) byOrigin.set(origin, (byRoute = new Map()));
  if (!byJob) byRoute.set(route, (byJob = new Map()));
  byJob.set(job, built);
  return built;
}
