import { describe, expect, it } from 'vitest';
import { blocksNamed } from './heap-error-blocks.js';

describe('blocksNamed', () => {
  it('reads the block of PostgreSQL 12–17 and 18 messages', () => {
    expect(blocksNamed('invalid page in block 40 of relation base/5/16434')).toEqual({ first: 40, last: 40 });
    expect(blocksNamed('invalid page in block 7 of relation "base/5/16434"')).toEqual({ first: 7, last: 7 });
    expect(blocksNamed('could not read block 12 in file "base/5/16434": read only 0 of 8192 bytes')).toEqual({ first: 12, last: 12 });
  });

  it('reads the range of a multi-block read (17+, 18)', () => {
    expect(blocksNamed('3 invalid pages among blocks 8..10 of relation "base/5/16434"')).toEqual({ first: 8, last: 10 });
    expect(blocksNamed('could not read blocks 8..10 in file "base/5/16434": Input/output error')).toEqual({ first: 8, last: 10 });
  });

  it('names nothing when the message has no block', () => {
    expect(blocksNamed('could not open file "base/5/16434": No such file or directory')).toBeUndefined();
    expect(blocksNamed('unexpected zero page at blocks 9..3')).toBeUndefined();
  });
});
