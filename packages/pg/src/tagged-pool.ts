import { config } from './config.js';
import { currentStore } from './context.js';
import { ormOpening } from './orm-opening.js';
import { tag, type Tagging } from './transaction-client.js';
import { transactionTags } from './transaction-tags.js';
import type { PoolClientLike, PoolLike } from './types.js';
import { invalidArgument } from './validate-options.js';

/** What taggedPool() needs: a pool; its query() (pg.Pool has one) is tagged when there is one. */
export type TaggablePool = PoolLike & { query?: (...args: never[]) => unknown };

const RAW = Symbol('mvcc-doctor untagged pool');
const WRAPPED = Symbol('mvcc-doctor tagged client');

/**
 * The same pool, whose statements sent outside withTransaction — `pool.query()`, and the queries of clients from
 * `pool.connect()` (an ORM's plain queries) — carry the sqlcommenter comment of the code that sent them
 * (`/*app='…',origin='src%2Forders.ts%3A88',route='…'*\/ SELECT …`), so pg_stat_activity, pg_stat_statements and the
 * server log name the caller. Everything else (end, on, the counters) is the pool's own; `instanceof pg.Pool` holds.
 *
 * Zero added round trips: the comment travels inside the statement's own text. application_name is deliberately not
 * set per query: that would take a `SET` before each statement (one more round trip), or a multi-statement simple
 * query, which cannot carry bind parameters and changes the result's shape. Transactions (withTransaction, and the
 * ORM integrations' transactions) set it with their BEGIN, where it costs nothing; give the pool itself an
 * `application_name` for its idle sessions.
 *
 * Cost: one stack capture per statement to name its origin (the cost withTransaction pays per transaction; see the
 * README's Overhead), none with `configure({ comment: false })`. Named prepared statements (their text must not
 * change), cursors and streams go untagged; a statement that already carries a comment (withTransaction's) is left
 * alone, with no capture.
 */
export function taggedPool<P extends TaggablePool>(pool: P): P {
  if (typeof (pool as PoolLike | null)?.connect !== 'function') {
    throw invalidArgument('taggedPool()', 'pool', pool, 'must be a pool (a pg.Pool, or anything whose connect() gives clients)');
  }
  if ((pool as { [RAW]?: unknown })[RAW] !== undefined) return pool;
  const query = function query(this: unknown, first: unknown, ...rest: unknown[]): unknown {
    return (pool.query as (...args: unknown[]) => unknown).call(pool, tagged(first, query), ...rest);
  };
  const connect = function connect(callback?: (error: Error | undefined, client: PoolClientLike | undefined, done: unknown) => void): unknown {
    if (typeof callback === 'function') {
      return (pool.connect as unknown as (cb: typeof callback) => unknown).call(pool, (error, client, done) => {
        callback(error, error || client === undefined ? client : wrapClient(client), done);
      });
    }
    return pool.connect().then(wrapClient);
  };
  return new Proxy(pool, {
    get(target, key, receiver) {
      if (key === 'query' && typeof target.query === 'function') return query;
      if (key === 'connect') return connect;
      if (key === RAW) return target;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/** The pool under a taggedPool() (withTransaction tags its own statements), or the pool itself. */
export function untaggedPool<P extends PoolLike>(pool: P): P {
  return ((pool as { [RAW]?: P })[RAW] ?? pool) as P;
}

/** Tag a checked-out client's statements for as long as it is checked out; its release puts its own query() back. */
function wrapClient(client: PoolClientLike): PoolClientLike {
  const marked = client as PoolClientLike & { [WRAPPED]?: true };
  if (marked[WRAPPED]) return client;
  const own = Object.prototype.hasOwnProperty.call(client, 'query');
  const original = client.query;
  const release = client.release;
  const query = function query(this: unknown, first: unknown, ...rest: unknown[]): unknown {
    return (original as (...args: unknown[]) => unknown).call(client, tagged(first, query), ...rest);
  };
  client.query = query as PoolClientLike['query'];
  marked[WRAPPED] = true;
  // pg-pool sets release on every checkout: replacing it affects this checkout only.
  client.release = function releaseTagged(this: unknown, destroy?: Error | boolean): void {
    if (own) client.query = original;
    else delete (client as { query?: unknown }).query;
    delete marked[WRAPPED];
    client.release = release;
    release.call(client, destroy);
  };
  return client;
}

/** The statement with the caller's comment (captured below `boundary`), or as it was when it must not change. */
export function tagged(query: unknown, boundary: (...args: never[]) => unknown): unknown {
  const settings = config();
  if (!settings.comment) return query;
  let text: string;
  if (typeof query === 'string') text = query;
  else if (typeof query === 'object' && query !== null && typeof (query as { text?: unknown }).text === 'string') {
    const { name, submit } = query as { name?: unknown; submit?: unknown };
    if (name || typeof submit === 'function') return query;
    text = (query as { text: string }).text;
  } else return query;
  if (settings.comment === 'prepend' ? text.startsWith('/*') : text.trimEnd().endsWith('*/')) return query;
  const tagging = taggingFor(boundary);
  return typeof query === 'string' ? tag(text, tagging) : { ...(query as object), text: tag(text, tagging) };
}

function taggingFor(boundary: (...args: never[]) => unknown): Tagging {
  const settings = config();
  const opening = ormOpening(boundary);
  // The same cached strings a transaction opened at this call site gets: built once per call site, route and app.
  return transactionTags(settings.app, opening.origin, currentStore().context, settings).tagging;
}
