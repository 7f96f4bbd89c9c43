import type { ConnOptions } from '../connect/conn-options.js';
import { forEachDatabase } from '../connect/each-database.js';
import { DEFAULT_LIMITS, openSession, type Session, type SessionLimits, type SessionOptions } from '../connect/safe-session.js';
import { VERSION } from '../version.js';
import { amcheckIn, amcheckSummary, verifyHeap } from './amcheck.js';
import type { HeapTarget } from './heap-prober.js';
import { PROBE_SETTINGS } from './probe-settings.js';
import { qualifiedName, resolveTable } from './resolve-table.js';
import { scanHeap } from './scan-heap.js';
import { scanIndex } from './scan-index.js';
import { scanExitCode, summarizeScan, type CorruptionScan, type DatabaseScan, type RelationScan } from './scan-report.js';
import { DATABASES_SQL, INDEXES_SQL, RELATIONS_SQL, SERVER_SQL, type DatabaseRow, type IndexRow, type RelationRow, type ServerFacts } from './scan-sql.js';
import { maxTuplesPerPage, type TidMethod } from './tid.js';

export interface ScanOptions {
  /** Only this database; every database that accepts connections when absent (those with checksum failures first). */
  dbname?: string;
  /** Only this table (`schema.table`), in `dbname` or the connection's database. */
  table?: string;
  /** statement_timeout for each probe (a range too long to read in time is split) and lock_timeout. */
  limits?: SessionLimits;
  /** How rows are addressed: TID ranges on PostgreSQL 14+, TID lists before (or when asked: for tests, and servers whose TID Range Scan misbehaves). */
  method?: TidMethod;
  /** Use amcheck where it is installed and allowed. Default true. */
  amcheck?: boolean;
  /**
   * Only read the pages (checksums, page headers, tuple visibility) and count the rows, without decoding every
   * column: about as fast as `SELECT count(*)`, and enough for bad blocks; a value that cannot be decoded (a broken
   * TOAST pointer, bad compressed data) goes unnoticed. Default false.
   */
  pagesOnly?: boolean;
  /** Each relation as its scan ends: for progress lines. */
  onRelation?: (scan: RelationScan) => void;
}

function scanSession(limits: SessionLimits): SessionOptions {
  return { ...limits, settings: PROBE_SETTINGS };
}

/**
 * Find every block and tuple that cannot be read, in one database or all of them, with only SELECT privilege:
 * each table is read by ctid ranges, one statement per probe, and a range that fails is split until the bad blocks
 * (and the bad tuples in a page that reads) are isolated; then amcheck where allowed, and every B-tree index. Every
 * statement is a read in a read-only session, so no transaction ID is used: it runs on a hot standby and in the
 * stop zone. The library entry point of `mvcc-doctor corruption scan`.
 */
export async function scanCorruption(conn: ConnOptions, options: ScanOptions = {}): Promise<CorruptionScan> {
  const started = Date.now();
  const session = scanSession(options.limits ?? DEFAULT_LIMITS);
  const only = options.dbname ?? (options.table !== undefined ? conn.database : undefined);
  const entry = await openSession(conn, only ?? conn.database, session);
  const relations: RelationScan[] = [];
  const databases: DatabaseScan[] = [];
  const skipped: CorruptionScan['skipped'] = [];
  let server: ServerFacts;
  try {
    [server] = (await entry.query<ServerFacts>(SERVER_SQL)) as [ServerFacts];
    const all = await entry.query<DatabaseRow>(DATABASES_SQL);
    const list = only !== undefined ? [all.find((d) => d.datname === only) ?? { datname: only, checksum_failures: null, checksum_last_failure: null }] : all;
    const method: TidMethod = options.method ?? (server.version_num >= 140000 ? 'tid-range' : 'tid-list');
    await forEachDatabase(
      conn,
      list.map((d) => d.datname),
      { session, concurrency: 1, entry, onSkip: (database, reason) => skipped.push({ what: `database "${database}"`, reason }) },
      async (db) => {
        const row = list.find((d) => d.datname === db.database)!;
        const found = await scanDatabase(db, server, method, options, skipped);
        relations.push(...found.relations);
        databases.push({
          database: db.database,
          checksum_failures: row.checksum_failures,
          checksum_last_failure: row.checksum_last_failure ? new Date(row.checksum_last_failure).toISOString() : null,
          relations_scanned: found.relations.length,
          amcheck: found.amcheck,
        });
      },
    );
  } finally {
    await entry.close();
  }
  const rank = { corrupt: 0, unverified: 1, clean: 2 } as const;
  const ordered = relations.map((r, i) => ({ r, i })).sort((a, b) => rank[a.r.status] - rank[b.r.status] || a.i - b.i).map((x) => x.r);
  return {
    tool: 'mvcc-doctor',
    schema_version: 1,
    version: VERSION,
    generated_at: new Date().toISOString(),
    target: { host: conn.host, port: conn.port, user: conn.user, database: only ?? conn.database, table: options.table ?? null },
    server: { version: server.version, version_num: server.version_num, in_recovery: server.in_recovery, data_checksums: server.data_checksums },
    databases,
    relations: ordered,
    skipped,
    summary: summarizeScan(relations),
    duration_ms: Date.now() - started,
    exit_code: scanExitCode(relations, skipped),
  };
}

async function scanDatabase(
  session: Session,
  server: ServerFacts,
  method: TidMethod,
  options: ScanOptions,
  skipped: CorruptionScan['skipped'],
): Promise<{ relations: RelationScan[]; amcheck: DatabaseScan['amcheck'] }> {
  const database = session.database;
  const tables = options.table !== undefined ? [await resolveTable(session, options.table)] : await session.query<RelationRow>(RELATIONS_SQL);
  const amcheck = options.amcheck === false ? { heap: false, btree: false, reason: 'not asked for (--no-amcheck)' } : await amcheckIn(session, server.version_num);
  const readable = tables.filter((t) => {
    const why = !t.readable
      ? 'no SELECT privilege on it'
      : !t.populated
        ? 'a materialized view that was never populated'
        : server.in_recovery && t.relpersistence === 'u'
          ? 'an unlogged table: a standby has no data for it'
          : undefined;
    if (why) skipped.push({ what: `${qualifiedName(t)} in "${database}"`, reason: why });
    return why === undefined;
  });
  const indexes = readable.length > 0 ? await session.query<IndexRow>(INDEXES_SQL, [readable.map((t) => t.oid)]) : [];
  const maxOffset = maxTuplesPerPage(server.block_size);
  const found: RelationScan[] = [];
  for (const table of readable) {
    const target: HeapTarget = { database, relation: qualifiedName(table), schema: table.schema, name: table.name, oid: table.oid, path: table.path };
    const heap = await scanHeap(session, target, { method, maxOffset, readsInOrder: server.version_num < 170000, pagesOnly: options.pagesOnly });
    heap.probes += await verifyHeap(session, amcheck, heap);
    found.push(heap);
    options.onRelation?.(heap);
    const own = indexes.filter((i) => i.table_oid === table.oid);
    // A table whose scan stopped (locked, dropped) would stop its indexes' checks the same way, one lock_timeout each.
    if (!heap.complete && heap.unread_blocks.length === 0) {
      if (own.length > 0) heap.notes.push(`its ${own.length} index(es) were not checked either`);
      continue;
    }
    for (const index of own) {
      if (index.am !== 'btree' || !index.valid) {
        heap.notes.push(`index ${qualifiedName(index)} not checked: ${index.valid ? `only B-tree indexes are (this one is ${index.am})` : 'it is not valid (a failed CREATE INDEX CONCURRENTLY?)'}`);
        continue;
      }
      const scanned = await scanIndex(session, index, heap, amcheck);
      found.push(scanned);
      options.onRelation?.(scanned);
    }
  }
  return { relations: found, amcheck: amcheckSummary(amcheck) };
}
