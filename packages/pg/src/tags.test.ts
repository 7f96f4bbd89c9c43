import { describe, expect, it } from 'vitest';
import { APPLICATION_NAME_MAX_BYTES, formatSqlComment, formatTag, parseSqlComment, parseTag } from './tags.js';

describe('application_name tag', () => {
  it('is app@origin#route and reads back', () => {
    const tag = formatTag({ app: 'orders', origin: 'src/orders.ts:88', route: 'POST /orders' });
    expect(tag).toBe('orders@src/orders.ts:88#POST /orders');
    expect(parseTag(tag)).toEqual({ app: 'orders', origin: 'src/orders.ts:88', file: 'src/orders.ts', line: 88, route: 'POST /orders', truncated: false });
  });

  it('has no route part without a route', () => {
    expect(formatTag({ app: 'a', origin: 'x.ts:1' })).toBe('a@x.ts:1');
    expect(parseTag('a@x.ts:1')?.route).toBeUndefined();
  });

  it('never exceeds 63 bytes: drops leading directories, keeps the file and line, then cuts the route', () => {
    const origin = 'packages/very-long-service-name/src/modules/billing/invoices/create-invoice.ts:1234';
    const tag = formatTag({ app: 'billing-service', origin, route: 'POST /api/v2/invoices/:id/finalize' });
    expect(Buffer.byteLength(tag)).toBeLessThanOrEqual(APPLICATION_NAME_MAX_BYTES);
    expect(tag).toMatch(/^billing-service@\.\.\.\/.*create-invoice\.ts:1234/);
    const parsed = parseTag(tag);
    expect(parsed).toMatchObject({ app: 'billing-service', line: 1234, truncated: true });
    expect(parsed?.file.endsWith('create-invoice.ts')).toBe(true);
  });

  it('cuts a single huge file name from the left and still keeps the line', () => {
    const tag = formatTag({ app: 'a', origin: `${'x'.repeat(100)}.ts:7` });
    expect(tag.length).toBeLessThanOrEqual(63);
    expect(tag.endsWith('.ts:7')).toBe(true);
    expect(parseTag(tag)?.truncated).toBe(true);
  });

  it('keeps to printable ASCII and frees the separators in the app name', () => {
    const tag = formatTag({ app: 'ordèrs@eu#1', origin: 'src/é.ts:3', route: 'GET /ü' });
    expect(tag).toBe('ord?rs_eu_1@src/?.ts:3#GET /?');
    expect(/^[\x20-\x7e]*$/.test(tag)).toBe(true);
  });

  it('turns Windows separators into slashes (no backslash reaches the SQL literal)', () => {
    expect(formatTag({ app: 'a', origin: 'src\\win\\x.ts:9' })).toBe('a@src/win/x.ts:9');
  });

  it('is not fooled by a colon and digits in the route', () => {
    expect(parseTag('a@src/x.ts:12#GET /x:5')).toMatchObject({ file: 'src/x.ts', line: 12, route: 'GET /x:5' });
  });

  it('rejects application names that are not tags', () => {
    for (const name of ['', 'psql', 'mvcc-doctor-lab', 'user@host', 'a@b:c', '@x.ts:1']) expect(parseTag(name)).toBeUndefined();
  });
});

describe('sqlcommenter comment', () => {
  it('sorts keys, URL-encodes values, escapes quotes, drops empty values', () => {
    const comment = formatSqlComment({ route: 'POST /orders', app: "o'k", origin: 'src/a.ts:1', job: undefined, traceparent: '' });
    expect(comment).toBe("/*app='o\\'k',origin='src%2Fa.ts%3A1',route='POST%20%2Forders'*/");
    expect(formatSqlComment({})).toBe('');
  });

  it('cannot close itself early: */ in a value is encoded', () => {
    const comment = formatSqlComment({ app: 'x*/ DROP TABLE t; /*' });
    expect(comment.slice(2, -2)).not.toContain('*/');
    expect(parseSqlComment(`${comment} SELECT 1`)).toEqual({ app: 'x*/ DROP TABLE t; /*' });
  });

  it('reads a leading or a trailing comment back', () => {
    const pairs = { app: 'orders', origin: 'src/orders.ts:88', route: 'POST /orders', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const comment = formatSqlComment(pairs);
    expect(parseSqlComment(`${comment} SELECT 1`)).toEqual(pairs);
    expect(parseSqlComment(`SELECT 1\n${comment}`)).toEqual(pairs);
    expect(parseSqlComment(`SELECT 1 ${comment};`)).toEqual(pairs);
  });

  it('reads comments written by other sqlcommenter implementations (spaces inside)', () => {
    expect(parseSqlComment("SELECT 1 /* controller='index',framework='spring' */")).toEqual({ controller: 'index', framework: 'spring' });
  });

  it('ignores ordinary comments and text without comments', () => {
    expect(parseSqlComment('SELECT 1')).toBeUndefined();
    expect(parseSqlComment('/* just a note */ SELECT 1')).toBeUndefined();
    expect(parseSqlComment("SELECT '/*a=1*/'")).toBeUndefined();
  });

  it('survives a bad percent sequence', () => {
    expect(parseSqlComment("/*app='100%'*/ SELECT 1")).toEqual({ app: '100%' });
  });
});
