import { describe, expect, it } from 'vitest';
import { estimateBloat, fillfactorOf, type RelationShape } from './bloat-estimate.js';

const int8 = { len: 8, align: 'd', width: 8, nullFrac: 0 };
const int4 = { len: 4, align: 'i', width: 4, nullFrac: 0 };

function shape(fields: Partial<RelationShape>): RelationShape {
  return { kind: 'table', bytes: 8192 * 1000, blockSize: 8192, tuples: 0, fillfactor: 100, columns: [int8], ...fields };
}

describe('estimateBloat, against the page layout worked by hand', () => {
  it('a heap of (int8, int4): 24-byte header + 12 bytes of data → 40 bytes, + 4 for the line pointer; 185 a page', () => {
    // (8192 - 24) / 44 = 185.6 → 185 tuples a page; 185,000 tuples → 1,000 pages exactly: nothing wasted.
    const full = estimateBloat(shape({ columns: [int8, int4], tuples: 185_000 }))!;
    expect(full).toMatchObject({ tupleBytes: 44, expectedBytes: 8192 * 1000, wastedBytes: 0, wastedPercent: 0 });
    // Half the rows gone, the file as large: half of it wasted.
    expect(estimateBloat(shape({ columns: [int8, int4], tuples: 92_500 }))).toMatchObject({ wastedBytes: 8192 * 500, wastedPercent: 50 });
  });

  it('padding: int4 then int8 pads 4 bytes before the int8; a null bitmap only when a column has nulls', () => {
    expect(estimateBloat(shape({ columns: [int4, int8], tuples: 1 }))!.tupleBytes).toBe(24 + 16 + 4);
    const nullable = { ...int8, nullFrac: 0.5 };
    // 23 + 1 bitmap byte → 24 still; the int8 is there half the time → 4 bytes on average → MAXALIGN 8.
    expect(estimateBloat(shape({ columns: [nullable], tuples: 1 }))!.tupleBytes).toBe(24 + 8 + 4);
    // Nine columns with nulls: a 2-byte bitmap, 25 → 32-byte header.
    expect(estimateBloat(shape({ columns: Array.from({ length: 9 }, () => nullable), tuples: 1 }))!.tupleBytes).toBe(32 + 40 + 4);
  });

  it('short varlena values are not aligned, long ones are', () => {
    const shortText = { len: -1, align: 'i', width: 5, nullFrac: 0 };
    const longText = { len: -1, align: 'i', width: 200, nullFrac: 0 };
    expect(estimateBloat(shape({ columns: [{ len: 1, align: 'c', width: 1, nullFrac: 0 }, shortText], tuples: 1 }))!.tupleBytes).toBe(24 + 8 + 4);
    expect(estimateBloat(shape({ columns: [{ len: 1, align: 'c', width: 1, nullFrac: 0 }, longText], tuples: 1 }))!.tupleBytes).toBe(24 + 208 + 4);
  });

  it('the fillfactor is room left on purpose, not waste', () => {
    // At fillfactor 50, 92 tuples of 44 bytes a page: 92,000 tuples fill 1,000 pages.
    expect(estimateBloat(shape({ columns: [int8, int4], tuples: 92_000, fillfactor: 50 }))!.wastedBytes).toBe(0);
  });

  it('a B-tree on int8: 16-byte entries + 4, leaves at 90 % of 8,152 bytes → 366 a page, plus internal pages and the metapage', () => {
    const index = (tuples: number, bytes: number) => estimateBloat({ kind: 'index', bytes, blockSize: 8192, tuples, fillfactor: 90, columns: [int8] })!;
    // 366,000 entries → 1,000 leaves; 1,000 / floor(8152 × 0.7 / 20) = 1,000 / 285 → 4 internal pages, then 1 root.
    expect(index(366_000, 8192 * 1006)).toMatchObject({ tupleBytes: 20, expectedBytes: 8192 * 1006, wastedBytes: 0 });
    expect(index(183_000, 8192 * 1006).wastedPercent).toBeCloseTo(49.5, 0);
  });

  it('never negative, and nothing to say without the widths', () => {
    expect(estimateBloat(shape({ tuples: 10_000_000 }))!.wastedBytes).toBe(0);
    expect(estimateBloat(shape({ columns: [{ len: -1, align: 'i', width: null, nullFrac: null }] }))).toBeUndefined();
    expect(estimateBloat(shape({ bytes: 0 }))).toBeUndefined();
  });
});

it('fillfactorOf reads reloptions, else the default of the kind', () => {
  expect(fillfactorOf(['autovacuum_enabled=false', 'fillfactor=70'], 'table')).toBe(70);
  expect(fillfactorOf(null, 'table')).toBe(100);
  expect(fillfactorOf(undefined, 'index')).toBe(90);
});
