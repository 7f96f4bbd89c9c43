import type { ReadError } from './read-error.js';
import type { TidMethod } from './tid.js';

/** A block that could not be read: all of it (a page error), or some of its tuples. */
export interface BadBlock {
  block: number;
  /** "page": nothing in it can be read (checksum, header, I/O). "tuples": only the offsets in `tuples`. */
  lost: 'page' | 'tuples';
  /** The server's error for the block (the first bad tuple's, for "tuples"). */
  error: ReadError;
  /** The unreadable tuples, by offset, each with its error ("tuples" only). */
  tuples?: { offset: number; error: ReadError }[];
}

/** Rows that read, by ctid: `from` inclusive, `to` exclusive, as `ctid >= from AND ctid < to` selects them. */
export interface ReadableRange {
  from: string;
  to: string;
  rows: number;
}

/** A tuple amcheck's verify_heapam reports as corrupt on a page that reads. */
export interface HeapCheckFinding {
  block: number;
  offset: number | null;
  attnum: number | null;
  message: string;
}

export type RelationStatus = 'clean' | 'corrupt' | 'unverified';

export interface RelationScan {
  database: string;
  /** Schema-qualified, quoted: "public"."orders". */
  relation: string;
  schema: string;
  name: string;
  oid: number;
  kind: 'table' | 'index';
  /** The index's table ("public"."orders"), for an index. */
  table?: string;
  /** pg_relation_filepath, as read errors name the relation. */
  path: string | null;
  /** Blocks when the scan started. */
  pages: number;
  status: RelationStatus;
  /** Every block was read, or found bad: false when the scan of it stopped (a lock, no privilege, a timeout). */
  complete: boolean;
  /** How it was read: TID ranges, a TID list, an index scan, or amcheck. */
  method: TidMethod | 'index-scan' | 'amcheck' | null;
  /** The bad blocks, in order. */
  blocks: BadBlock[];
  /** Tables: every range that reads, between the bad blocks (and bad tuples), with its rows. */
  readable: ReadableRange[];
  /** Tables: rows that read. */
  rows_readable: number;
  /** Blocks that could not be read within the statement timeout, or were not reached: not known to be bad. */
  unread_blocks: number[];
  /** verify_heapam's findings on the pages that read (tables), when amcheck ran. */
  amcheck: HeapCheckFinding[];
  /** Why the relation, or a part of its check, was not verified; or what was learnt on the way. */
  notes: string[];
  probes: number;
  duration_ms: number;
}

/** A relation's scan before the first probe: clean until a probe says otherwise. */
export function newRelationScan(identity: Pick<RelationScan, 'database' | 'relation' | 'schema' | 'name' | 'oid' | 'kind' | 'table' | 'path' | 'pages'>): RelationScan {
  return { ...identity, status: 'clean', complete: true, method: null, blocks: [], readable: [], rows_readable: 0, unread_blocks: [], amcheck: [], notes: [], probes: 0, duration_ms: 0 };
}

export interface DatabaseScan {
  database: string;
  /** pg_stat_database.checksum_failures: null when data checksums are off. */
  checksum_failures: number | null;
  checksum_last_failure: string | null;
  relations_scanned: number;
  amcheck: { installed: boolean; heap: boolean; btree: boolean; reason?: string };
}

export interface ScanSummary {
  relations_scanned: number;
  corrupt_relations: number;
  unverified_relations: number;
  bad_blocks: number;
  bad_tuples: number;
  rows_readable: number;
  probes: number;
}

export interface CorruptionScan {
  tool: 'mvcc-doctor';
  schema_version: 1;
  version: string;
  generated_at: string;
  target: { host: string; port: number; user: string; database: string; table: string | null };
  server: { version: string; version_num: number; in_recovery: boolean; data_checksums: string | null };
  databases: DatabaseScan[];
  /** Every relation read, the corrupt and unverified ones first. */
  relations: RelationScan[];
  skipped: { what: string; reason: string }[];
  summary: ScanSummary;
  duration_ms: number;
  /** 0 clean, 1 something could not be verified, 2 corruption found (3, could not scan, is an error instead). */
  exit_code: 0 | 1 | 2;
}

export function summarizeScan(relations: readonly RelationScan[]): ScanSummary {
  return {
    relations_scanned: relations.length,
    corrupt_relations: relations.filter((r) => r.status === 'corrupt').length,
    unverified_relations: relations.filter((r) => r.status === 'unverified').length,
    bad_blocks: relations.reduce((n, r) => n + r.blocks.length, 0),
    bad_tuples: relations.reduce((n, r) => n + r.blocks.reduce((t, b) => t + (b.tuples?.length ?? 0), 0) + r.amcheck.length, 0),
    rows_readable: relations.reduce((n, r) => n + r.rows_readable, 0),
    probes: relations.reduce((n, r) => n + r.probes, 0),
  };
}

export function scanExitCode(relations: readonly RelationScan[], skipped: readonly unknown[]): 0 | 1 | 2 {
  if (relations.some((r) => r.status === 'corrupt')) return 2;
  return relations.some((r) => r.status === 'unverified') || skipped.length > 0 ? 1 : 0;
}
