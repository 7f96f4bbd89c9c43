import { describe, expect, it } from 'vitest';
import { segmentName, segmentOf, segmentsBetween, slruGeometry } from './slru.js';
import { fullXidNear, locateXid, parseXid, statusInByte } from './xid-location.js';

describe('xid → pg_xact file, byte, bits (8 KiB pages)', () => {
  it('follows the issue: file %04X of xid >> 20, byte (xid & 0xFFFFF) >> 2, shift (xid % 4) * 2', () => {
    for (const xid of [0, 3, 727, 1048575, 1048576, 1045207414, 2 ** 31 + 5, 2 ** 32 - 1]) {
      const at = locateXid(xid);
      expect(at.segment).toBe((xid >>> 20).toString(16).toUpperCase().padStart(4, '0'));
      expect(at.offset).toBe((xid & 0xfffff) >>> 2);
      expect(at.shift).toBe((xid % 4) * 2);
      expect(at.page).toBe(Math.floor(at.offset / 8192));
    }
  });

  it('hand-computed: 727 is in pg_xact/0000 at byte 181, bits 6-7; 1045207414 in pg_xact/03E4 at byte 206429 (page 25), bits 4-5', () => {
    // 727 >> 2 = 181, 727 % 4 = 3 → shift 6.
    expect(locateXid(727)).toEqual({ xid: 727, segment: '0000', file: 'pg_xact/0000', offset: 181, page: 0, shift: 6 });
    // 1045207414 = 996 × 1048576 + 825718: segment 996 = 0x3E4; 825718 >> 2 = 206429, / 8192 = page 25; 1045207414 % 4 = 2 → shift 4.
    expect(locateXid(1045207414)).toEqual({ xid: 1045207414, segment: '03E4', file: 'pg_xact/03E4', offset: 206429, page: 25, shift: 4 });
  });

  it('the last XID before the wrap is in the last segment, 0FFF, at its last byte; the next wraps to 0000', () => {
    expect(locateXid(2 ** 32 - 1)).toMatchObject({ segment: '0FFF', offset: 262143, page: 31, shift: 6 });
    expect(locateXid(2 ** 32)).toMatchObject({ xid: 0, fullXid: 2 ** 32, epoch: 1, segment: '0000', offset: 0, shift: 0 });
    expect(slruGeometry('pg_xact').segmentCount).toBe(4096);
  });

  it('a 64-bit XID carries its epoch; the file depends only on its low 32 bits', () => {
    const full = 3 * 2 ** 32 + 727;
    expect(locateXid(full)).toEqual({ xid: 727, fullXid: full, epoch: 3, segment: '0000', file: 'pg_xact/0000', offset: 181, page: 0, shift: 6 });
    expect(parseXid('3:727')).toEqual({ xid: 727, fullXid: full });
    expect(parseXid(String(full))).toEqual({ xid: 727, fullXid: full });
    expect(parseXid(' 727 ')).toEqual({ xid: 727 });
    expect(() => parseXid('abc')).toThrow(/not a transaction ID/);
    expect(() => parseXid('1:4294967296')).toThrow(/below 2\^32/);
  });

  it('a 32-bit XID gets the epoch of the next XID, or the one before when the next has wrapped past it', () => {
    // next = epoch 2, xid 1000: XID 500 is in epoch 2; XID 4,000,000,000 was assigned before the wrap, in epoch 1.
    const next = 2 * 2 ** 32 + 1000;
    expect(fullXidNear(500, next)).toBe(2 * 2 ** 32 + 500);
    expect(fullXidNear(4_000_000_000, next)).toBe(2 ** 32 + 4_000_000_000);
    expect(locateXid({ xid: 4_000_000_000 }, { nextFullXid: next })).toMatchObject({ epoch: 1, segment: '0EE6', file: 'pg_xact/0EE6' });
    expect(fullXidNear(1000, next)).toBe(next); // the next XID itself
  });

  it('reads the two status bits: 00 in progress, 01 committed, 10 aborted, 11 sub-committed', () => {
    const byte = 0b11_10_01_00; // xid%4 = 0 in progress, 1 committed, 2 aborted, 3 sub-committed
    expect([0, 2, 4, 6].map((shift) => statusInByte(byte, shift))).toEqual(['in progress', 'committed', 'aborted', 'sub-committed']);
    expect(statusInByte(0x55, 6)).toBe('committed'); // the 0x55 fill
  });
});

describe('SLRU geometry', () => {
  it('pg_multixact: 2,048 offsets a page (65,536 a segment); 1,636 members a page, 52,352 a segment, 82,041 segments', () => {
    const offsets = slruGeometry('pg_multixact/offsets');
    expect([offsets.perPage, offsets.perSegment, offsets.segmentCount, offsets.segmentBytes]).toEqual([2048, 65536, 65536, 262144]);
    const members = slruGeometry('pg_multixact/members');
    expect([members.perPage, members.perSegment, members.segmentCount]).toEqual([1636, 52352, 82041]);
    expect(segmentName(segmentOf(members, 2 ** 32 - 1))).toBe('14078'); // five hex digits, as slru.c's %04X prints it
  });

  it('other block sizes scale the pages, not the 32 pages of a segment', () => {
    const g = slruGeometry('pg_xact', 32768);
    expect([g.perPage, g.perSegment, g.segmentBytes, g.segmentCount]).toEqual([131072, 4194304, 1048576, 1024]);
    expect(locateXid(5_000_000, { blockSize: 32768 })).toMatchObject({ segment: '0001', offset: 201424, page: 6 });
  });

  it('lists the segments between two IDs across the wrap', () => {
    const g = slruGeometry('pg_xact');
    expect(segmentsBetween(g, 716, 1048576)).toEqual([0, 1]);
    expect(segmentsBetween(g, 2 ** 32 - 2 * 1048576, 1048576 + 5)).toEqual([4094, 4095, 0, 1]);
    expect(segmentsBetween(g, 5, 5)).toEqual([0]);
  });
});
