import { quoteLiteral } from '@mvcc-doctor/pg/quote';
import type { Cluster } from '../cluster.js';
import { LabError } from '../lab-error.js';
import { readControlData, setNextMultiXact, singleUser, STOP_MARGIN, WARN_MARGIN, WRAP_DISTANCE } from '../reset-wal.js';
import { ageTables, holdInZone, isFreshlyAged, QUALIFIED, readAgedTables, type AgedTablesOptions } from '../wraparound-template.js';
import { once, uniqueName, type Fault } from './fault.js';

/**
 * "freeze-max-age": the oldest database is past autovacuum_multixact_freeze_max_age, no warning yet;
 * "warning": every new MultiXactId warns "must be vacuumed before N more MultiXactIds are used" (N ≤ 40M);
 * "stop": new MultiXactIds are refused (N ≤ 3M); new XIDs, and so plain writes, still work.
 */
export type MxidZone = 'freeze-max-age' | 'warning' | 'stop';

export interface MxidWraparoundOptions {
  /** Default "stop". */
  zone?: MxidZone;
  /**
   * MultiXactIds left to the wraparound limit (the N of the server's warning); overrides the zone's default:
   * 20M for "warning", 2M for "stop", and for "freeze-max-age" as far as the table ages give but at least
   * 500M MultiXactIds of age.
   */
  multisLeft?: number;
  /** Global transaction identifier of the holding prepared transaction; a unique one when absent. */
  gid?: string;
  /** autovacuum_naptime of the zone. Default "1s", so the waiting anti-wraparound worker shows up at once. */
  autovacuumNaptime?: string;
  /** How to build the aged tables in place when the cluster is not a copy of a multixact wraparound template. */
  build?: Omit<AgedTablesOptions, 'kind'>;
}

/** One aged table as the server sees it once the zone is reached. */
export interface MxidAgedTable {
  /** Schema-qualified name. */
  table: string;
  /** mxid_age(relminmxid). */
  mxidAge: number;
  pages: number;
}

export interface MxidWraparoundFault extends Fault {
  zone: MxidZone;
  /** The oldest database by datminmxid: the one the server's warning and error name. */
  database: string;
  /** Oldest first; every row of each holds a MultiXactId (two share-lockers) in its xmax. */
  tables: MxidAgedTable[];
  /** The prepared transaction that holds the zone (it locks every aged table, SHARE UPDATE EXCLUSIVE). */
  gid: string;
  /** The next MultiXactId the server will assign. */
  nextMultiXact: number;
  /** MultiXactIds left to the wraparound limit: the N of "must be vacuumed before N more MultiXactIds are used". */
  multisLeft: number;
  /** MultiXactIds left before the server refuses new ones; zero or less in the stop zone. */
  multisBeforeStop: number;
}

/**
 * A PostgreSQL 15 cluster near MultiXactId wraparound, held in its zone while the test runs. Give it a
 * running copy of `wraparoundTemplate({ kind: 'multixact' })` (or any cluster with pg_resetwal: the tables
 * are then built in place). The cluster is restarted; use it for this fault only.
 *
 * The tables' relminmxid are `ageStep` apart (pg_resetwal -m NEXT,OLDEST between their creation); a
 * transaction prepared in single-user mode locks them all, so the anti-wraparound autovacuum waits on it.
 */
export async function mxidWraparound(cluster: Cluster, options: MxidWraparoundOptions = {}): Promise<MxidWraparoundFault> {
  const zone = options.zone ?? 'stop';
  const gid = options.gid ?? uniqueName('lab_mxid_wraparound');
  const database = options.build?.database ?? 'incident';
  let meta = await readAgedTables(cluster, database);
  if (!meta) meta = await ageTables(cluster, { ...options.build, kind: 'multixact' });
  else if (!(await isFreshlyAged(cluster))) {
    throw new LabError('resetwal-failed', 'this cluster was already put in a zone; use a fresh copy of the template');
  }
  if (meta.kind !== 'multixact') throw new LabError('resetwal-failed', `the aged tables of "${database}" differ in ${meta.kind} age, not MultiXactId age`);

  await cluster.stop();
  const control = await readControlData(cluster);
  const wrapLimit = control.oldestMultiXact + WRAP_DISTANCE;
  const oldestAge = control.nextMultiXact - control.oldestMultiXact;
  const multisLeft = options.multisLeft ?? { 'freeze-max-age': WRAP_DISTANCE - Math.max(oldestAge, 500_000_000), warning: 20_000_000, stop: 2_000_000 }[zone];
  const target = wrapLimit - multisLeft;
  if (target < control.nextMultiXact) {
    await cluster.start();
    throw new LabError('resetwal-failed', `NextMultiXactId is already ${control.nextMultiXact}; cannot go back to ${target}`);
  }
  const tableNames = meta.tables.map((t) => t.table);
  await holdInZone(cluster, {
    database,
    gid,
    lock: tableNames,
    before: async (c) => {
      await setNextMultiXact(c, target);
      // pg_resetwal -m forgets which database is the oldest ("database with OID 0" in the warnings). A VACUUM
      // that moves some database's datminmxid makes the server recompute its limits from pg_database.
      await singleUser(c, 'postgres', ['VACUUM (FREEZE)']);
    },
    settings: { autovacuum_naptime: options.autovacuumNaptime ?? '1s' },
  });

  const { rows: tableRows } = await cluster.sql<MxidAgedTable>(
    `SELECT ${QUALIFIED} AS "table", mxid_age(c.relminmxid)::int AS "mxidAge", (pg_relation_size(c.oid) / 8192)::int AS pages
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${QUALIFIED} = ANY ($1) ORDER BY 2 DESC`,
    [tableNames],
    database,
  );
  const { rows } = await cluster.sql<{ datname: string; age: number; datminmxid: string; freeze_max_age: number }>(
    `SELECT datname, mxid_age(datminmxid)::int AS age, datminmxid::text,
            current_setting('autovacuum_multixact_freeze_max_age')::int AS freeze_max_age
       FROM pg_database ORDER BY mxid_age(datminmxid) DESC LIMIT 1`,
  );
  const oldest = rows[0]!;
  const left = WRAP_DISTANCE - oldest.age;
  const inZone = { 'freeze-max-age': oldest.age > oldest.freeze_max_age && left > WARN_MARGIN, warning: left > STOP_MARGIN && left <= WARN_MARGIN, stop: left <= STOP_MARGIN }[zone];
  if (oldest.datname !== database || !inZone) {
    throw new LabError('resetwal-failed', `expected "${database}" in the MultiXact ${zone} zone, found "${oldest.datname}" with ${left} left`);
  }

  return {
    zone,
    database,
    tables: tableRows,
    gid,
    nextMultiXact: Number(oldest.datminmxid) + oldest.age,
    multisLeft: left,
    multisBeforeStop: left - STOP_MARGIN,
    /**
     * Roll the prepared transaction back. The database stays in its zone until its oldest tables are
     * frozen; with autovacuum on, the waiting anti-wraparound workers start at once.
     */
    release: once(async () => {
      const { rows: still } = await cluster.sql('SELECT 1 FROM pg_prepared_xacts WHERE gid = $1', [gid]);
      if (still.length > 0) await cluster.sql(`ROLLBACK PREPARED ${quoteLiteral(gid)}`, [], database);
    }),
  };
}
