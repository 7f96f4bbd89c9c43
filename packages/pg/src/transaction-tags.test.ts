import { describe, expect, it } from 'vitest';
import { beginSql } from './begin-sql.js';
import { configure, resetConfiguration } from './config.js';

/** Settings from the defaults, whatever earlier cases configured (configure() merges). */
const fresh = (options: Parameters<typeof configure>[0] = {}) => {
  resetConfiguration();
  return configure(options);
};
import { formatSqlComment, formatTag } from './tags.js';
import { tag } from './transaction-client.js';
import { transactionTags } from './transaction-tags.js';

/** The call site's record a shared tagging points to (nothing untagged sent yet). */
const SITE = expect.objectContaining({ sentUntagged: false });

describe('transaction tags', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('by default tags BEGIN with the comment alone, no SET', () => {
    const { tagging, applicationName, begin } = transactionTags('app', 'src/d.ts:4', { route: 'GET /d' }, fresh({}));
    expect(applicationName).toBeUndefined();
    expect(begin).toBe(`${tagging.comment} BEGIN`);
    expect(tagging.comment).toBe(formatSqlComment({ app: 'app', origin: 'src/d.ts:4', route: 'GET /d' }));
  });

  it('sets application_name from the next transaction on at a call site that sent a statement no comment can go on', () => {
    const settings = fresh({});
    const first = transactionTags('app', 'src/e.ts:5', {}, settings);
    expect(first.applicationName).toBeUndefined();
    first.tagging.site!.sentUntagged = true; // what TransactionClient does for a named prepared statement
    const next = transactionTags('app', 'src/e.ts:5', {}, settings);
    expect(next.begin).toBe(`${next.tagging.comment} BEGIN; SET LOCAL application_name = 'app@src/e.ts:5'`);
    expect(transactionTags('app', 'src/e.ts:6', {}, settings).applicationName).toBeUndefined(); // another call site
  });

  it('appends traceparent to the cached comment exactly as the full formatter would', () => {
    const settings = fresh({ applicationName: true });
    for (let round = 0; round < 2; round++) {
      const context = { route: 'GET /x', job: 'j', traceparent };
      const { tagging, applicationName, begin } = transactionTags('app', 'src/a.ts:1', context, settings);
      expect(tagging.comment).toBe(formatSqlComment({ app: 'app', origin: 'src/a.ts:1', ...context }));
      expect(applicationName).toBe('app@src/a.ts:1#GET /x');
      expect(begin).toBe(`${tagging.comment} BEGIN; SET LOCAL application_name = 'app@src/a.ts:1#GET /x'`);
    }
  });

  it('honours the switches', () => {
    const off = transactionTags('app', 'src/a.ts:1', {}, fresh({ comment: false, applicationName: false }));
    // A call site's shared tagging also keeps the statements it let through (a Map, empty until the first query).
    expect(off).toEqual({ applicationName: undefined, tagging: { comment: '', position: false, statements: new Map(), site: SITE }, begin: 'BEGIN', commit: 'COMMIT' });
    expect(transactionTags('app', 'src/a.ts:1', { job: 'nightly' }, fresh({ applicationName: true })).applicationName).toBe('app@src/a.ts:1#nightly');
    // Without comments, application_name is what names the code: on unless turned off.
    expect(transactionTags('app', 'src/a.ts:1', {}, fresh({ comment: false })).begin).toBe("BEGIN; SET LOCAL application_name = 'app@src/a.ts:1'");
    const appended = transactionTags('app', 'src/a.ts:1', {}, fresh({ comment: 'append', applicationName: false }));
    expect(appended.begin).toBe(`BEGIN\n${appended.tagging.comment}`);
  });

  it('builds what the formatters build, whether it comes from the cache or not', () => {
    const cases = [
      { app: 'orders', origin: 'src/o.ts:9', context: {} },
      { app: 'orders', origin: 'src/o.ts:9', context: { route: 'POST /o' } },
      { app: 'orders', origin: 'src/o.ts:9', context: { job: 'sweep' } },
      // An empty route is no route: the tag does not fall back to the job then (route ?? job).
      { app: 'orders', origin: 'src/o.ts:9', context: { route: '', job: 'sweep' } },
      { app: 'billing', origin: 'src/o.ts:9', context: { route: 'POST /o' } },
    ];
    for (const settings of [fresh({}), fresh({ comment: 'append' }), fresh({ applicationName: true }), fresh({ comment: false }), fresh({})]) {
      for (let round = 0; round < 2; round++) {
        for (const { app, origin, context } of cases) {
          const tags = transactionTags(app, origin, context, settings);
          const comment = formatSqlComment({ app, origin, route: context.route, job: context.job });
          const applicationName = settings.applicationName ? formatTag({ app, origin, route: context.route ?? context.job }) : undefined;
          const tagging = { comment: settings.comment ? comment : '', position: settings.comment, statements: new Map(), site: SITE };
          expect(tags).toEqual({ applicationName, tagging, begin: tag(beginSql({}, applicationName), tagging), commit: tag('COMMIT', tagging) });
        }
      }
    }
  });

  it('never serves a cached BEGIN to a transaction with BEGIN options', () => {
    const settings = fresh({ applicationName: true });
    transactionTags('app', 'src/b.ts:2', {}, settings);
    const serializable = transactionTags('app', 'src/b.ts:2', {}, settings, { isolationLevel: 'serializable', statementTimeout: 50 });
    expect(serializable.begin).toContain('BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL application_name');
    expect(serializable.begin).toContain('SET LOCAL statement_timeout = 50');
    expect(transactionTags('app', 'src/b.ts:2', {}, settings).begin).not.toContain('SERIALIZABLE');
  });

  it('hands out cached tags that cannot be changed', () => {
    const settings = fresh({});
    transactionTags('app', 'src/c.ts:3', {}, settings);
    const cached = transactionTags('app', 'src/c.ts:3', {}, settings);
    expect(Object.isFrozen(cached) && Object.isFrozen(cached.tagging)).toBe(true);
    expect(transactionTags('app', 'src/c.ts:3', {}, settings)).toBe(cached);
  });
});
