import { describe, expect, it } from 'vitest';
import { isPageError, isTimeout, namedBlocks } from './read-error.js';

const PATH = 'base/5/16384';
const error = (message: string, sqlstate = 'XX001') => ({ sqlstate, message });

/**
 * The messages of bufmgr.c and md.c as PostgreSQL 12–18 word them (the real clusters in test/corruption produce the
 * single-block ones on 15 and 18; the others are the server's source text): which blocks of which relation each names.
 */
describe('namedBlocks', () => {
  it.each([
    ['invalid page in block 40 of relation base/5/16384', { first: 40, last: 40 }],
    ['invalid page in block 40 of relation "base/5/16384"', { first: 40, last: 40 }],
    ['3 invalid pages among blocks 32..47 of relation "base/5/16384"', { first: 32, last: 47 }],
    ['could not read block 131072 in file "base/5/16384.1": read only 0 of 8192 bytes', { first: 131072, last: 131072 }],
    ['could not read blocks 8..15 in file "base/5/16384": Input/output error', { first: 8, last: 15 }],
  ])('%s', (message, named) => {
    expect(namedBlocks(error(message), PATH)).toEqual(named);
  });

  it('names nothing of this relation: another relation (its index, its TOAST table), or no block at all', () => {
    expect(namedBlocks(error('invalid page in block 40 of relation base/5/163840'), PATH)).toBeUndefined();
    expect(namedBlocks(error('invalid page in block 40 of relation "base/5/16390"'), PATH)).toBeUndefined();
    expect(namedBlocks(error('compressed pglz data is corrupt'), PATH)).toBeUndefined();
    expect(namedBlocks(error('could not access status of transaction 123', 'XX000'), PATH)).toBeUndefined();
  });

  it('a whole-page error, a tuple error and a timeout are told apart', () => {
    expect(isPageError(error('invalid page in block 40 of relation base/5/16384'))).toBe(true);
    expect(isPageError(error('2 invalid pages among blocks 1..4 of relation "base/5/16384"'))).toBe(true);
    expect(isPageError(error('could not read block 3 in file "base/5/16384": Input/output error', '58030'))).toBe(true);
    expect(isPageError(error('compressed pglz data is corrupt'))).toBe(false);
    expect(isPageError(error('missing chunk number 0 for toast value 16401 in pg_toast_16384'))).toBe(false);
    expect(isTimeout(error('canceling statement due to statement timeout', '57014'))).toBe(true);
    expect(isTimeout(error('canceling statement due to user request', '57014'))).toBe(false);
  });
});
