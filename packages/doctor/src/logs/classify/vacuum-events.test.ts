import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../log-record.js';
import { classifyRecord } from './classify-record.js';

function record(lines: string[]): LogRecord {
  return { severity: 'LOG', message: lines.join('\n'), pid: 7, source: { file: 't.log', line: 1 } };
}

// Each report as vacuumlazy.c of that major version formats it (format strings read from the PostgreSQL source of
// 9.4–13 and from the strings of the 14.23, 15.18 and 18.4 server binaries; 16 and 17 from their compiled sources).
describe('autovacuum reports, 9.3 to 18', () => {
  it('9.3: pages and tuples only, the old CPU line', () => {
    const event = classifyRecord(
      record(['automatic vacuum of table "shop.public.orders": index scans: 1', 'pages: 0 removed, 305 remain', 'tuples: 151 removed, 755 remain', 'system usage: CPU 0.01s/0.02u sec elapsed 0.14 sec']),
    );
    expect(event).toMatchObject({ class: 'autovacuum', database: 'shop', relation: 'public.orders', severity: 'info' });
    expect(event?.fields).toEqual({
      aggressive: false,
      anti_wraparound: false,
      index_scans: 1,
      pages_removed: 0,
      pages_remain: 305,
      tuples_removed: 151,
      tuples_remain: 755,
      failsafe: false,
      cpu_system_s: 0.01,
      cpu_user_s: 0.02,
      elapsed_s: 0.14,
    });
  });

  it('9.5: skipped due to pins, dead but not yet removable, buffer usage', () => {
    const event = classifyRecord(
      record([
        'automatic vacuum of table "shop.public.orders": index scans: 0',
        'pages: 2 removed, 40 remain, 1 skipped due to pins',
        'tuples: 10 removed, 900 remain, 3 are dead but not yet removable',
        'buffer usage: 120 hits, 4 misses, 6 dirtied',
        'avg read rate: 0.500 MB/s, avg write rate: 0.750 MB/s',
        'system usage: CPU 0.00s/0.00u sec elapsed 0.06 sec',
      ]),
    );
    expect(event?.fields).toMatchObject({ pages_skipped_pins: 1, tuples_not_removable: 3, buffer_hits: 120, buffer_misses: 4, buffer_dirtied: 6, read_rate_mbs: 0.5, write_rate_mbs: 0.75 });
    expect(event?.fields.removable_cutoff).toBeUndefined();
  });

  it('9.6: aggressive, skipped frozen', () => {
    const event = classifyRecord(
      record([
        'automatic aggressive vacuum of table "shop.public.orders": index scans: 0',
        'pages: 0 removed, 40 remain, 0 skipped due to pins, 38 skipped frozen',
        'tuples: 0 removed, 900 remain, 0 are dead but not yet removable',
        'buffer usage: 12 hits, 0 misses, 0 dirtied',
        'avg read rate: 0.000 MB/s, avg write rate: 0.000 MB/s',
        'system usage: CPU 0.00s/0.00u sec elapsed 0.00 sec',
      ]),
    );
    expect(event?.fields).toMatchObject({ aggressive: true, anti_wraparound: false, pages_skipped_frozen: 38 });
  });

  it('10–12: oldest xmin (the removable cutoff without its age), the new CPU line, "to prevent wraparound"', () => {
    const event = classifyRecord(
      record([
        'automatic aggressive vacuum to prevent wraparound of table "shop.public.orders": index scans: 1',
        'pages: 0 removed, 40 remain, 0 skipped due to pins, 0 skipped frozen',
        'tuples: 20 removed, 900 remain, 4000 are dead but not yet removable, oldest xmin: 448424944',
        'buffer usage: 569 hits, 1 misses, 0 dirtied',
        'avg read rate: 0.064 MB/s, avg write rate: 0.000 MB/s',
        'system usage: CPU: user: 0.10 s, system: 0.20 s, elapsed: 0.12 s',
      ]),
    );
    expect(event?.fields).toMatchObject({ aggressive: true, anti_wraparound: true, tuples_not_removable: 4000, removable_cutoff: 448424944, cpu_user_s: 0.1, cpu_system_s: 0.2, elapsed_s: 0.12 });
    // 4000 dead tuples kept against 20 removed: something holds the horizon.
    expect(event?.severity).toBe('warning');
    expect(event?.summary).toBe('anti-wraparound autovacuum of public.orders: 20 dead tuples removed, 4000 dead but not yet removable');
  });

  it('13: WAL usage after system usage', () => {
    const event = classifyRecord(
      record([
        'automatic vacuum of table "shop.public.orders": index scans: 0',
        'pages: 0 removed, 40 remain, 0 skipped due to pins, 0 skipped frozen',
        'tuples: 5 removed, 900 remain, 0 are dead but not yet removable, oldest xmin: 1000',
        'buffer usage: 1 hits, 0 misses, 0 dirtied',
        'avg read rate: 0.000 MB/s, avg write rate: 0.000 MB/s',
        'system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s',
        'WAL usage: 3 records, 1 full page images, 286 bytes',
      ]),
    );
    expect(event?.fields).toMatchObject({ wal_records: 3, wal_fpi: 1, wal_bytes: 286, elapsed_s: 0 });
  });

  it('14: index scan lines, per-index lines, I/O timings, the failsafe bypass', () => {
    const event = classifyRecord(
      record([
        'automatic aggressive vacuum to prevent wraparound of table "shop.public.orders": index scans: 0',
        'pages: 0 removed, 241245 remain, 0 skipped due to pins, 241244 skipped frozen',
        'tuples: 0 removed, 17418745 remain, 0 are dead but not yet removable, oldest xmin: 538040633',
        'index scan bypassed by failsafe: 3 pages from table (0.01% of total) have 7 dead item identifiers',
        'index "orders_pkey": pages: 46608 in total, 0 newly deleted, 10 currently deleted, 10 reusable',
        'I/O timings: read: 10.540 ms, write: 0.000 ms',
        'avg read rate: 38.748 MB/s, avg write rate: 0.538 MB/s',
        'buffer usage: 50 hits, 72 misses, 1 dirtied',
        'WAL usage: 1 records, 1 full page images, 2147 bytes',
        'system usage: CPU: user: 1.23 s, system: 4.56 s, elapsed: 0.01 s',
      ]),
    );
    expect(event?.fields).toMatchObject({
      index_scan: 'bypassed by failsafe',
      failsafe: true,
      lpdead_item_pages: 3,
      lpdead_item_pages_percent: 0.01,
      lpdead_items: 7,
      indexes: [{ name: 'orders_pkey', pages: 46608, newly_deleted: 0, currently_deleted: 10, reusable: 10 }],
      io_read_ms: 10.54,
      io_write_ms: 0,
    });
    expect(event?.severity).toBe('warning');
    expect(event?.summary).toContain('bypassed by the wraparound failsafe');
  });

  it('15: scanned pages, tuples missed, removable cutoff with its age, new relfrozenxid and relminmxid', () => {
    const event = classifyRecord(
      record([
        'automatic vacuum of table "testdb.replication.tab_queue_tmp": index scans: 1',
        'pages: 5 removed, 303 remain, 10 scanned (3.30% of total)',
        'tuples: 828 removed, 667 remain, 24 are dead but not yet removable',
        'tuples missed: 5 dead from 1 pages not removed due to cleanup lock contention',
        'removable cutoff: 3949960346, which was 301 XIDs old when operation ended',
        'new relfrozenxid: 3949960326, which is 1136 XIDs ahead of previous value',
        'new relminmxid: 3713553644, which is 22 MXIDs ahead of previous value',
        'index scan needed: 9 pages from table (2.97% of total) had 1000 dead item identifiers removed',
        'I/O timings: read: 0.000 ms, write: 0.000 ms',
        'avg read rate: 0.000 MB/s, avg write rate: 0.000 MB/s',
        'buffer usage: 573 hits, 0 misses, 0 dirtied',
        'WAL usage: 35 records, 0 full page images, 8042 bytes',
        'system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s',
      ]),
    );
    expect(event?.fields).toMatchObject({
      pages_scanned: 10,
      pages_scanned_percent: 3.3,
      tuples_missed: 5,
      tuples_missed_pages: 1,
      removable_cutoff: 3949960346,
      removable_cutoff_age: 301,
      new_relfrozenxid: 3949960326,
      new_relfrozenxid_advance: 1136,
      new_relminmxid: 3713553644,
      new_relminmxid_advance: 22,
      index_scan: 'needed',
    });
    expect(event?.summary).toBe('autovacuum of replication.tab_queue_tmp: 828 dead tuples removed, 24 dead but not yet removable; removable cutoff 301 XIDs old');
  });

  it('16–17: frozen pages', () => {
    const event = classifyRecord(
      record([
        'automatic vacuum of table "postgres.public.test": index scans: 0',
        'pages: 0 removed, 442496 remain, 442496 scanned (100.00% of total)',
        'tuples: 0 removed, 100000000 remain, 0 are dead but not yet removable',
        'removable cutoff: 768, which was 0 XIDs old when operation ended',
        'frozen: 16771 pages from table (22.59% of total) had 3790126 tuples frozen',
        'index scan not needed: 0 pages from table (0.00% of total) had 0 dead item identifiers removed',
        'avg read rate: 24.523 MB/s, avg write rate: 24.641 MB/s',
        'buffer usage: 444687 hits, 440385 misses, 442496 dirtied',
        'WAL usage: 442479 records, 14 full page images, 26221148 bytes',
        'system usage: CPU: user: 14.23 s, system: 10.10 s, elapsed: 140.29 s',
      ]),
    );
    expect(event?.fields).toMatchObject({ frozen_pages: 16771, frozen_pages_percent: 22.59, tuples_frozen: 3790126, index_scan: 'not needed', buffer_misses: 440385 });
  });

  it('18: eagerly scanned pages, visibility map, delay time, buffer reads, WAL buffers full', () => {
    const event = classifyRecord(
      record([
        'automatic vacuum of table "maciek.public.t": index scans: 0',
        'pages: 0 removed, 74240 remain, 74240 scanned (100.00% of total), 12 eagerly scanned',
        'tuples: 0 removed, 16777216 remain, 0 are dead but not yet removable',
        'removable cutoff: 5805, which was 1 XIDs old when operation ended',
        'frozen: 16771 pages from table (22.59% of total) had 3790126 tuples frozen',
        'visibility map: 16771 pages set all-visible, 16771 pages set all-frozen (0 were all-visible)',
        'index scan not needed: 0 pages from table (0.00% of total) had 0 dead item identifiers removed',
        'delay time: 12.500 ms',
        'avg read rate: 53.257 MB/s, avg write rate: 13.520 MB/s',
        'buffer usage: 74279 hits, 74238 reads, 18846 dirtied',
        'WAL usage: 52414 records, 18877 full page images, 164664500 bytes, 470 buffers full',
        'system usage: CPU: user: 1.78 s, system: 1.14 s, elapsed: 10.89 s',
      ]),
    );
    expect(event?.fields).toMatchObject({
      pages_eagerly_scanned: 12,
      vm_all_visible_pages: 16771,
      vm_all_frozen_pages: 16771,
      vm_previously_all_visible_pages: 0,
      delay_ms: 12.5,
      buffer_misses: 74238,
      wal_buffers_full: 470,
    });
  });
});

describe('autoanalyze reports', () => {
  it('up to 13: one line with the system usage', () => {
    const event = classifyRecord(record(['automatic analyze of table "postgres.public.pgbench_branches" system usage: CPU: user: 0.23 s, system: 0.01 s, elapsed: 0.89 s']));
    expect(event).toMatchObject({ class: 'autoanalyze', database: 'postgres', relation: 'public.pgbench_branches', fields: { cpu_user_s: 0.23, cpu_system_s: 0.01, elapsed_s: 0.89 } });
    expect(event?.summary).toBe('autoanalyze of public.pgbench_branches in 0.89 s');
  });

  it('14+: I/O timings, rates and buffer usage on their own lines', () => {
    const event = classifyRecord(
      record([
        'automatic analyze of table "testdb.sales.tab_shop_stats"',
        'I/O timings: read: 1.027 ms, write: 0.000 ms',
        'avg read rate: 1.339 MB/s, avg write rate: 8.705 MB/s',
        'buffer usage: 1369 hits, 6 misses, 39 dirtied',
        'system usage: CPU: user: 0.02 s, system: 0.00 s, elapsed: 0.03 s',
      ]),
    );
    expect(event?.fields).toEqual({ io_read_ms: 1.027, io_write_ms: 0, read_rate_mbs: 1.339, write_rate_mbs: 8.705, buffer_hits: 1369, buffer_misses: 6, buffer_dirtied: 39, cpu_user_s: 0.02, cpu_system_s: 0, elapsed_s: 0.03 });
  });

  it('is not the VACUUM VERBOSE or launcher lines', () => {
    expect(classifyRecord(record(['automatic vacuum launcher started']))).toBeUndefined();
    expect(classifyRecord(record(['autovacuum launcher started']))).toBeUndefined();
    expect(classifyRecord(record(['finished vacuuming "shop.public.orders": index scans: 0']))).toBeUndefined();
  });
});
