import { describe, expect, it } from 'vitest';
import { configure } from './config.js';
import { formatSqlComment } from './tags.js';
import { transactionTags } from './transaction-tags.js';

describe('transaction tags', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('appends traceparent to the cached comment exactly as the full formatter would', () => {
    const settings = configure({});
    for (let round = 0; round < 2; round++) {
      const context = { route: 'GET /x', job: 'j', traceparent };
      const { tagging, applicationName } = transactionTags('app', 'src/a.ts:1', context, settings);
      expect(tagging.comment).toBe(formatSqlComment({ app: 'app', origin: 'src/a.ts:1', ...context }));
      expect(applicationName).toBe('app@src/a.ts:1#GET /x');
    }
  });

  it('honours the switches', () => {
    const off = transactionTags('app', 'src/a.ts:1', {}, configure({ comment: false, applicationName: false }));
    expect(off).toEqual({ applicationName: undefined, tagging: { comment: '', position: false } });
    expect(transactionTags('app', 'src/a.ts:1', { job: 'nightly' }, configure({})).applicationName).toBe('app@src/a.ts:1#nightly');
  });
});
