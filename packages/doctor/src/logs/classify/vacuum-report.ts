import { num, put } from './numbers.js';

/**
 * The autovacuum and autoanalyze reports of vacuumlazy.c / analyze.c (log_autovacuum_min_duration), in every
 * shape since 9.x. Each item is searched on its own, so the version (which items exist), the separators
 * (newline, TAB, ", " in AlloyDB's one-line form) and the order do not matter:
 *
 *   header       "automatic [aggressive ]vacuum [to prevent wraparound ]of table \"db.s.t\": index scans: N"
 *                (aggressive 9.6+, "to prevent wraparound" 12+); "automatic analyze of table \"db.s.t\""
 *   pages        "N removed, N remain" + ", N skipped due to pins" (9.5) + ", N skipped frozen" (9.6–14);
 *                15+: "N removed, N remain, N scanned (P% of total)" + ", N eagerly scanned" (18)
 *   tuples       "N removed, N remain" + ", N are dead but not yet removable" (9.4+) + ", oldest xmin: X" (10–14)
 *   15+          "tuples missed: N dead from N pages not removed due to cleanup lock contention",
 *                "removable cutoff: X, which was N XIDs old when operation ended",
 *                "new relfrozenxid: X, which is N XIDs ahead of previous value", "new relminmxid: …"
 *   16+          "frozen: N pages from table (P% of total) had N tuples frozen"
 *   18           "visibility map: N pages set all-visible, N pages set all-frozen (N were all-visible)",
 *                "delay time: X ms", "buffer usage: … reads", "WAL usage: … , N buffers full"
 *   14+          "index scan needed|not needed|bypassed|bypassed by failsafe: N pages from table (P% of total)
 *                had|have N dead item identifiers", "index \"i\": pages: N in total, N newly deleted, N currently
 *                deleted, N reusable", "I/O timings: read: X ms, write: X ms"
 *   all          "buffer usage: N hits, N misses|reads, N dirtied", "avg read rate: X MB/s, avg write rate: X MB/s",
 *                "system usage: CPU: user: X s, system: X s, elapsed: X s" (10+) or "CPU Xs/Yu sec elapsed Z sec"
 *                (up to 9.6), "WAL usage: N records, N full page images, N bytes" (13+)
 */
const HEADER = /^automatic (aggressive )?(vacuum|analyze)( to prevent wraparound)? of table "([^"]*)"(?:: index scans: (\d+))?/;
const PAGES =
  /pages: (\d+) removed, (\d+) remain(?:,? (\d+) scanned \(([\d.]+)% of total\))?(?:,? (\d+) eagerly scanned)?(?:,? (\d+) skipped due to pins)?(?:,? (\d+) skipped frozen)?/;
const TUPLES = /tuples: (\d+) removed, (\d+) remain(?:, (\d+) are dead but not yet removable)?(?:, oldest xmin: (\d+))?/;
const MISSED = /tuples missed: (\d+) dead from (\d+) pages? not removed due to cleanup lock contention/;
const CUTOFF = /removable cutoff: (\d+), which was (-?\d+) XIDs? old when operation ended/;
const RELFROZENXID = /new relfrozenxid: (\d+), which is (-?\d+) XIDs? ahead of previous value/;
const RELMINMXID = /new relminmxid: (\d+), which is (-?\d+) MXIDs? ahead of previous value/;
const FROZEN = /frozen: (\d+) pages from table \(([\d.]+)% of total\) had (\d+) tuples frozen/;
const VISIBILITY = /visibility map: (\d+) pages set all-visible, (\d+) pages set all-frozen \((\d+) were all-visible\)/;
const INDEX_SCAN = /index scan (not needed|needed|bypassed by failsafe|bypassed): (\d+) pages from table \(([\d.]+)% of total\) (?:had|have) (\d+) dead item identifiers/;
const INDEX = /index "([^"]+)": pages: (\d+) in total, (\d+) newly deleted, (\d+) currently deleted, (\d+) reusable/g;
const IO = /I\/O timings: read: ([\d.]+) ms, write: ([\d.]+) ms/;
const DELAY = /delay time: ([\d.]+) ms/;
const RATES = /avg read rate: ([\d.]+) MB\/s, avg write rate: ([\d.]+) MB\/s/;
const BUFFERS = /buffer usage: (\d+) hits, (\d+) (?:misses|reads), (\d+) dirtied/;
const WAL = /WAL usage: (\d+) records, (\d+) full page images, (\d+) bytes(?:, (\d+) buffers full)?/;
const RUSAGE = /CPU: user: ([\d.]+) s, system: ([\d.]+) s, elapsed: ([\d.]+) s/;
const RUSAGE_OLD = /CPU ([\d.]+)s\/([\d.]+)u sec elapsed ([\d.]+) sec/;

export interface VacuumReport {
  operation: 'vacuum' | 'analyze';
  /** "db.schema.table" as the header gives it. */
  table: string;
  fields: Record<string, unknown>;
}

export function parseVacuumReport(message: string): VacuumReport | undefined {
  const header = HEADER.exec(message);
  if (!header) return undefined;
  const operation = header[2] === 'analyze' ? 'analyze' : 'vacuum';
  const fields: Record<string, unknown> = {};
  if (operation === 'vacuum') {
    fields.aggressive = header[1] !== undefined;
    fields.anti_wraparound = header[3] !== undefined;
    put(fields, 'index_scans', num(header[5]));
    vacuumItems(message, fields);
  }
  sharedItems(message, fields);
  return { operation, table: header[4] ?? '', fields };
}

function vacuumItems(message: string, fields: Record<string, unknown>): void {
  let m = PAGES.exec(message);
  if (m) {
    fields.pages_removed = Number(m[1]);
    fields.pages_remain = Number(m[2]);
    put(fields, 'pages_scanned', num(m[3]));
    put(fields, 'pages_scanned_percent', num(m[4]));
    put(fields, 'pages_eagerly_scanned', num(m[5]));
    put(fields, 'pages_skipped_pins', num(m[6]));
    put(fields, 'pages_skipped_frozen', num(m[7]));
  }
  m = TUPLES.exec(message);
  if (m) {
    fields.tuples_removed = Number(m[1]);
    fields.tuples_remain = Number(m[2]);
    put(fields, 'tuples_not_removable', num(m[3]));
    // Up to 14 the cutoff is called "oldest xmin" and its age is not given; 15 renamed it and added the age.
    put(fields, 'removable_cutoff', num(m[4]));
  }
  if ((m = MISSED.exec(message))) {
    fields.tuples_missed = Number(m[1]);
    fields.tuples_missed_pages = Number(m[2]);
  }
  if ((m = CUTOFF.exec(message))) {
    fields.removable_cutoff = Number(m[1]);
    fields.removable_cutoff_age = Number(m[2]);
  }
  if ((m = RELFROZENXID.exec(message))) {
    fields.new_relfrozenxid = Number(m[1]);
    fields.new_relfrozenxid_advance = Number(m[2]);
  }
  if ((m = RELMINMXID.exec(message))) {
    fields.new_relminmxid = Number(m[1]);
    fields.new_relminmxid_advance = Number(m[2]);
  }
  if ((m = FROZEN.exec(message))) {
    fields.frozen_pages = Number(m[1]);
    fields.frozen_pages_percent = Number(m[2]);
    fields.tuples_frozen = Number(m[3]);
  }
  if ((m = VISIBILITY.exec(message))) {
    fields.vm_all_visible_pages = Number(m[1]);
    fields.vm_all_frozen_pages = Number(m[2]);
    fields.vm_previously_all_visible_pages = Number(m[3]);
  }
  if ((m = INDEX_SCAN.exec(message))) {
    fields.index_scan = m[1];
    fields.lpdead_item_pages = Number(m[2]);
    fields.lpdead_item_pages_percent = Number(m[3]);
    fields.lpdead_items = Number(m[4]);
  }
  fields.failsafe = fields.index_scan === 'bypassed by failsafe';
  const indexes: Record<string, unknown>[] = [];
  for (const index of message.matchAll(INDEX)) {
    indexes.push({ name: index[1], pages: Number(index[2]), newly_deleted: Number(index[3]), currently_deleted: Number(index[4]), reusable: Number(index[5]) });
  }
  if (indexes.length > 0) fields.indexes = indexes;
  if ((m = WAL.exec(message))) {
    fields.wal_records = Number(m[1]);
    fields.wal_fpi = Number(m[2]);
    fields.wal_bytes = Number(m[3]);
    put(fields, 'wal_buffers_full', num(m[4]));
  }
}

function sharedItems(message: string, fields: Record<string, unknown>): void {
  let m = IO.exec(message);
  if (m) {
    fields.io_read_ms = Number(m[1]);
    fields.io_write_ms = Number(m[2]);
  }
  if ((m = DELAY.exec(message))) fields.delay_ms = Number(m[1]);
  if ((m = RATES.exec(message))) {
    fields.read_rate_mbs = Number(m[1]);
    fields.write_rate_mbs = Number(m[2]);
  }
  if ((m = BUFFERS.exec(message))) {
    fields.buffer_hits = Number(m[1]);
    fields.buffer_misses = Number(m[2]);
    fields.buffer_dirtied = Number(m[3]);
  }
  if ((m = RUSAGE.exec(message))) {
    fields.cpu_user_s = Number(m[1]);
    fields.cpu_system_s = Number(m[2]);
    fields.elapsed_s = Number(m[3]);
  } else if ((m = RUSAGE_OLD.exec(message))) {
    fields.cpu_system_s = Number(m[1]);
    fields.cpu_user_s = Number(m[2]);
    fields.elapsed_s = Number(m[3]);
  }
}
