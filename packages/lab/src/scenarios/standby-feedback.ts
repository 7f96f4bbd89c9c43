import { waitFor } from '../evidence.js';
import { waitForReplay, type Standby } from '../standby.js';
import { endQuietly, once, uniqueName, type Fault } from './fault.js';

export interface StandbyFeedbackOptions {
  /** Database of the table, on the primary (and so on the standby). Default "postgres". */
  database?: string;
  /** Rows the primary deletes after the standby's query took its snapshot: dead tuples VACUUM cannot remove. Default 1000. */
  deadRows?: number;
  /** XIDs the primary consumes afterwards (one small transaction each), so the held xmin ages. Default 1000. */
  xids?: number;
  /** application_name of the standby session running the report query. */
  applicationName?: string;
}

export interface StandbyFeedbackFault extends Fault {
  database: string;
  /** Quoted, schema-qualified table (on the primary) with the dead tuples. */
  table: string;
  deadRows: number;
  /** Pid, on the standby, of the session whose snapshot holds the horizon. */
  standbyPid: number;
  /** That session's backend_xmin on the standby. */
  standbyXmin: string;
  /** pg_stat_replication.backend_xmin on the primary: the feedback xmin the primary honours. */
  feedbackXmin: string;
  /** The standby's name in pg_stat_replication. */
  applicationName: string;
}

/**
 * A report query on a hot standby with hot_standby_feedback on: its REPEATABLE READ snapshot is reported to
 * the primary, whose walsender then holds that xmin, so rows the primary deletes stay "dead but not yet
 * removable" there while the primary keeps consuming XIDs — a replica's long query bloating the primary.
 */
export async function standbyFeedback(standby: Standby, options: StandbyFeedbackOptions = {}): Promise<StandbyFeedbackFault> {
  const { primary } = standby;
  const database = options.database ?? 'postgres';
  const deadRows = options.deadRows ?? 1000;
  const xids = options.xids ?? 1000;
  const table = `public.${uniqueName('lab_standby')}`;
  await primary.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = off)`, [], database);
  await primary.sql(`INSERT INTO ${table} SELECT g, repeat('x', 100) FROM generate_series(1, $1) g`, [deadRows * 2], database);
  await waitForReplay(standby);

  const report = await standby.cluster.connect(database, options.applicationName ?? 'lab-standby-report');
  const release = once(async () => {
    try {
      await report.query('ROLLBACK');
    } catch {
      // terminated by a test, or by a recovery conflict: the snapshot is gone either way
    }
    await endQuietly(report);
    await primary.sql(`DROP TABLE IF EXISTS ${table}`, [], database);
  });
  try {
    await report.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await report.query(`SELECT count(*) FROM ${table}`);
    const { rows } = await report.query<{ pid: number; xmin: string }>(
      'SELECT pid, backend_xmin::text AS xmin FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    const { pid: standbyPid, xmin: standbyXmin } = rows[0]!;
    await primary.sql(`DELETE FROM ${table} WHERE id <= $1`, [deadRows], database);
    // One XID per committed iteration: the primary moves on while the standby's snapshot stays.
    await primary.sql(`DO $$ BEGIN FOR i IN 1..${Number(xids)} LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$`);
    // The walreceiver reports the standby's oldest xmin in its status messages (every second here): wait for
    // one sent after the XIDs were consumed, so what the primary shows is the standby's current feedback.
    const { rows: mark } = await primary.sql<{ now: Date }>('SELECT clock_timestamp() AS now');
    const feedback = await waitFor(async () => {
      const { rows: now } = await primary.sql<{ xmin: string }>(
        `SELECT backend_xmin::text AS xmin FROM pg_stat_replication
          WHERE application_name = $1 AND reply_time > $2 AND backend_xmin IS NOT NULL AND backend_xmin::text::int8 <= $3::int8`,
        [standby.applicationName, mark[0]!.now, standbyXmin],
      );
      return now[0];
    }, `the primary to hold the standby's xmin ${standbyXmin}`);
    return { database, table, deadRows, standbyPid, standbyXmin, feedbackXmin: feedback.xmin, applicationName: standby.applicationName, release };
  } catch (error) {
    await release();
    throw error;
  }
}
