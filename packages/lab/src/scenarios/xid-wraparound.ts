import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import type { Cluster } from '../cluster.js';
import { LabError } from '../lab-error.js';
import { readControlData, setNextXid, STOP_MARGIN, WARN_MARGIN, WRAP_DISTANCE } from '../reset-wal.js';
import { ageTables, holdInZone, isFreshlyAged, QUALIFIED, readAgedTables, type AgedTablesOptions } from '../wraparound-template.js';
import { once, uniqueName, type Fault } from './fault.js';

/**
 * "freeze-max-age": the oldest database is past autovacuum_freeze_max_age, no warning yet;
 * "warning": every new XID warns "must be vacuumed within N transactions" (N ≤ 40M);
 * "stop": new XIDs are refused (N ≤ 3M); reads, VACUUM and ROLLBACK PREPARED still work.
 */
export type XidZone = 'freeze-max-age' | 'warning' | 'stop';

export interface XidWraparoundOptions {
  /** Default "stop". */
  zone?: XidZone;
  /**
   * XIDs left to the wraparound limit (the N of the server's warning) to put the cluster at; overrides the
   * zone's default: 20M for "warning", 2M for "stop", and for "freeze-max-age" as far as the table ages give
   * but at least 300M XIDs of age.
   */
  xidsLeft?: number;
  /** How many XIDs before the final NextXID the holding transaction is prepared: the age of the horizon it holds. Default 1,000,000. */
  preparedAge?: number;
  /** Global transaction identifier of the holding prepared transaction; a unique one when absent. */
  gid?: string;
  /**
   * autovacuum_naptime of the zone. Default "1s": the launcher spreads its first workers over naptime per
   * database, so with the server's 1min the waiting anti-wraparound worker would show up only after ~15 s.
   */
  autovacuumNaptime?: string;
  /** How to build the aged tables in place when the cluster is not a copy of a wraparound template (slow: a restart per table). */
  build?: Omit<AgedTablesOptions, 'kind'>;
}

/** One aged table as the server sees it once the zone is reached. */
export interface XidAgedTable {
  /** Schema-qualified name. */
  table: string;
  /** age(relfrozenxid). */
  age: number;
  pages: number;
  /** Its last pages are empty: a VACUUM that may truncate tries to, and that needs an XID. */
  emptyTail: boolean;
  /** Whether the holding prepared transaction locks it (SHARE UPDATE EXCLUSIVE). */
  locked: boolean;
}

export interface XidWraparoundFault extends Fault {
  zone: XidZone;
  /** The oldest database: the one the server's warning and error name. */
  database: string;
  /** Oldest first. */
  tables: XidAgedTable[];
  /** The prepared transaction that holds the zone. */
  gid: string;
  /** Its XID. */
  preparedXid: string;
  /** The next XID the server will assign (64-bit, as pg_current_snapshot shows it). */
  nextXid: string;
  /** XIDs left to the wraparound limit: the N of "must be vacuumed within N transactions". */
  xidsLeft: number;
  /** XIDs left before the server refuses new ones; zero or less in the stop zone. */
  xidsBeforeStop: number;
}

/**
 * A PostgreSQL 15 cluster near XID wraparound, held in its zone while the test runs. Give it a running copy
 * of `wraparoundTemplate({ kind: 'xid' })` (or any cluster with pg_resetwal: the tables are then built in
 * place). The cluster is restarted, so its port changes and earlier sessions end; use it for this fault only.
 *
 * Tables of different ages (age(relfrozenxid) `ageStep` apart, every second one with empty trailing pages)
 * are in a database of their own, the oldest of the cluster. A transaction prepared just before the last
 * pg_resetwal jump holds SHARE UPDATE EXCLUSIVE on them, so the anti-wraparound autovacuum waits on it
 * instead of freezing: an orphaned prepared transaction, the incident's cause. In the stop zone the tables
 * with empty tails younger than the failsafe age are left unlocked: autovacuum fails on them by itself
 * ("while truncating relation"), which is the trap a test can show without releasing the hold.
 *
 * It cannot be older than the tables: a table created while a prepared transaction is open gets that
 * transaction's XID as relfrozenxid, and every start writes pg_subtrans from the oldest prepared XID on
 * (gigabytes for an XID hundreds of millions old). So it holds by its locks; its XID still caps any freeze.
 */
export async function xidWraparound(cluster: Cluster, options: XidWraparoundOptions = {}): Promise<XidWraparoundFault> {
  const zone = options.zone ?? 'stop';
  const preparedAge = options.preparedAge ?? 1_000_000;
  const gid = options.gid ?? uniqueName('lab_wraparound');
  const database = options.build?.database ?? 'incident';
  let meta = await readAgedTables(cluster, database);
  if (!meta) meta = await ageTables(cluster, { ...options.build, kind: 'xid' });
  else if (!(await isFreshlyAged(cluster))) {
    throw new LabError('resetwal-failed', 'this cluster was already put in a zone; use a fresh copy of the template');
  }
  if (meta.kind !== 'xid') throw new LabError('resetwal-failed', `the aged tables of "${database}" differ in ${meta.kind} age, not XID age`);

  const before = await tableAges(cluster, database, meta.tables.map((t) => t.table));
  const failsafe = await failsafeAge(cluster);
  await cluster.stop();
  const control = await readControlData(cluster);
  const wrapLimit = control.oldestXid + WRAP_DISTANCE;
  const oldestAge = control.nextXid - control.oldestXid;
  const xidsLeft = options.xidsLeft ?? { 'freeze-max-age': WRAP_DISTANCE - Math.max(oldestAge + preparedAge, 300_000_000), warning: 20_000_000, stop: 2_000_000 }[zone];
  const target = wrapLimit - xidsLeft;
  if (target - preparedAge < control.nextXid) {
    await cluster.start();
    throw new LabError('resetwal-failed', `NextXID is already ${control.nextXid}; cannot go back to ${target - preparedAge}`);
  }
  const jump = target - control.nextXid;
  // In the stop zone, a table the truncation trap holds needs no lock: leave it open for the trap to be shown.
  const trapped = (t: { table: string; emptyTail: boolean }): boolean =>
    zone === 'stop' && t.emptyTail && (before.get(t.table)?.age ?? 0) + jump < failsafe;
  const lock = meta.tables.filter((t, i) => i === 0 || !trapped(t)).map((t) => t.table);
  await holdInZone(cluster, {
    database,
    gid,
    lock,
    before: (c) => setNextXid(c, target - preparedAge).then(() => undefined),
    after: (c) => setNextXid(c, target).then(() => undefined),
    settings: { autovacuum_naptime: options.autovacuumNaptime ?? '1s' },
  });

  const after = await tableAges(cluster, database, meta.tables.map((t) => t.table));
  const tables = meta.tables
    .map((t) => ({ table: t.table, emptyTail: t.emptyTail, locked: lock.includes(t.table), age: after.get(t.table)!.age, pages: after.get(t.table)!.pages }))
    .sort((a, b) => b.age - a.age);
  const { rows } = await cluster.sql<{ datname: string; age: number; next: string; freeze_max_age: number }>(
    `SELECT datname, age(datfrozenxid)::int AS age, pg_snapshot_xmax(pg_current_snapshot())::text AS next,
            current_setting('autovacuum_freeze_max_age')::int AS freeze_max_age
       FROM pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1`,
  );
  const oldest = rows[0]!;
  const left = WRAP_DISTANCE - oldest.age;
  const inZone = { 'freeze-max-age': oldest.age > oldest.freeze_max_age && left > WARN_MARGIN, warning: left > STOP_MARGIN && left <= WARN_MARGIN, stop: left <= STOP_MARGIN }[zone];
  if (oldest.datname !== database || !inZone) {
    throw new LabError('resetwal-failed', `expected "${database}" in the ${zone} zone, found "${oldest.datname}" with ${left} XIDs left`);
  }
  const { rows: prepared } = await cluster.sql<{ xid: string }>('SELECT transaction::text AS xid FROM pg_prepared_xacts WHERE gid = $1', [gid]);

  return {
    zone,
    database,
    tables,
    gid,
    preparedXid: prepared[0]!.xid,
    nextXid: oldest.next,
    xidsLeft: left,
    xidsBeforeStop: left - STOP_MARGIN,
    /**
     * Roll the prepared transaction back (allowed even in the stop zone). The database stays in its zone
     * until its oldest tables are frozen — `mvcc-doctor freeze`'s job; with autovacuum on, the waiting
     * anti-wraparound workers start at once, except where the truncation trap stops them.
     */
    release: once(async () => {
      const { rows: still } = await cluster.sql('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [gid]);
      if (still.length > 0) await cluster.sql(`ROLLBACK PREPARED ${quoteLiteral(gid)}`, [], database);
    }),
  };
}

async function tableAges(cluster: Cluster, database: string, tables: string[]): Promise<Map<string, { age: number; pages: number }>> {
  const { rows } = await cluster.sql<{ rel: string; age: number; pages: number }>(
    `SELECT ${QUALIFIED} AS rel, age(c.relfrozenxid)::int AS age, (pg_relation_size(c.oid) / 8192)::int AS pages
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${QUALIFIED} = ANY ($1)`,
    [tables],
    database,
  );
  return new Map(rows.map((r) => [r.rel, { age: r.age, pages: r.pages }]));
}

/** Tables older than this are vacuumed in failsafe mode, which never truncates (PG 14+). */
async function failsafeAge(cluster: Cluster): Promise<number> {
  const { rows } = await cluster.sql<{ failsafe: number; freeze: number }>(
    `SELECT current_setting('vacuum_failsafe_age')::int AS failsafe,
            (SELECT boot_val::int FROM pg_settings WHERE name = 'autovacuum_freeze_max_age') AS freeze`,
  );
  return Math.max(rows[0]!.failsafe, Math.floor(rows[0]!.freeze * 1.05));
}
