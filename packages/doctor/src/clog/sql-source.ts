import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { pgErrorOf } from '../connect/pg-error.js';
import type { Session } from '../connect/safe-session.js';
import type { ClogSource, XidProbe } from './clog-source.js';
import { findLogHits, LOG_TAIL_BYTES } from './log-xids.js';
import { inventoryFromRow, SEGMENTS_SQL, type CheckpointIds, type SegmentsRow } from './segments-sql.js';
import { ID_SPACE } from './slru.js';
import { locateXid } from './xid-location.js';

/** The functions that list and read the SLRU files: superuser, or an explicit GRANT EXECUTE on each. */
export const FILE_FUNCTIONS = ['pg_ls_dir(text, boolean, boolean)', 'pg_stat_file(text, boolean)', 'pg_read_binary_file(text, bigint, bigint, boolean)'];
const LOG_FUNCTIONS = ['pg_current_logfile()', 'pg_stat_file(text, boolean)', 'pg_read_binary_file(text, bigint, bigint, boolean)'];

const granted = (fns: string[]) => fns.map((f) => `has_function_privilege('${f}', 'EXECUTE')`).join(' AND ');

/**
 * Counters every role may read: the last checkpoint's (pg_control_checkpoint() is executable by PUBLIC; on a
 * standby it is the last restartpoint), the oldest datfrozenxid / datminmxid, and the snapshot's xmax as the
 * live next XID (no XID of our own, so it works in the stop zone and on a standby).
 */
const factsSql = (snapshotXmax: string) => `SELECT current_setting('server_version_num')::int AS version_num,
    current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery,
    current_setting('block_size')::int AS block_size, current_user AS role,
    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
    c.next_xid AS ckpt_next_xid, c.oldest_xid::text::int8 AS ckpt_oldest_xid,
    c.next_multixact_id::text::int8 AS ckpt_next_multi, c.next_multi_offset::text::int8 AS ckpt_next_offset,
    c.oldest_multi_xid::text::int8 AS ckpt_oldest_multi, c.checkpoint_time,
    (SELECT datfrozenxid::text::int8 FROM pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1) AS oldest_xid,
    (SELECT datminmxid::text::int8 FROM pg_database ORDER BY mxid_age(datminmxid) DESC LIMIT 1) AS oldest_multi,
    ${snapshotXmax}::text::int8 AS live_next_xid, pg_last_wal_replay_lsn()::text AS replay_lsn,
    (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS data_directory,
    ${granted(FILE_FUNCTIONS)} AS can_list, ${granted(LOG_FUNCTIONS)} AS can_read_log,
    (SELECT json_build_object('host', sender_host, 'port', sender_port) FROM pg_stat_wal_receiver WHERE sender_host IS NOT NULL LIMIT 1) AS upstream,
    (SELECT json_agg(json_build_object('name', application_name, 'address', client_addr::text)) FROM pg_stat_replication) AS downstreams,
    (SELECT json_object_agg(name, coalesce(installed_version, '')) FROM pg_available_extensions WHERE name IN ('pg_surgery', 'pageinspect')) AS extensions
  FROM pg_control_checkpoint() c`;

const BYTES_SQL = 'SELECT pg_read_binary_file($1, $2, $3, true) AS b';

interface FactsRow extends CheckpointIds {
  version_num: number;
  version: string;
  in_recovery: boolean;
  block_size: number;
  role: string;
  superuser: boolean;
  live_next_xid: number;
  replay_lsn: string | null;
  data_directory: string | null;
  can_list: boolean;
  can_read_log: boolean;
  upstream: { host: string; port: number } | null;
  downstreams: { name: string; address: string | null }[] | null;
  extensions: Record<string, string> | null;
}

/** clog check over SQL on one of our sessions (read-only, statement_timeout, tagged). */
export function sqlSource(session: Session, conn: ConnOptions): ClogSource {
  let row: FactsRow | undefined;
  return {
    async facts() {
      const [probe] = await session.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
      if (probe!.v < 120000) throw new DoctorError('server-error', `PostgreSQL ${probe!.v} is older than 12, the oldest version mvcc-doctor supports`);
      const xmax = probe!.v >= 130000 ? 'pg_snapshot_xmax(pg_current_snapshot())' : 'txid_snapshot_xmax(txid_current_snapshot())';
      [row] = await session.query<FactsRow>(factsSql(xmax));
      const r = row!;
      const [epoch, xid] = r.ckpt_next_xid.split(':').map(Number);
      const extension = (name: string) => (r.extensions ? (r.extensions[name] ?? null) : null);
      return {
        source: { kind: 'sql', host: conn.host, port: conn.port, user: conn.user, database: session.database, superuser: r.superuser },
        server: {
          major: Math.floor(r.version_num / 10000),
          version: r.version,
          inRecovery: r.in_recovery,
          blockSize: r.block_size,
          ...(r.data_directory ? { dataDirectory: r.data_directory } : {}),
          ...(r.replay_lsn ? { replayLsn: r.replay_lsn } : {}),
          ...(r.upstream ? { upstream: r.upstream } : {}),
          ...(r.downstreams ? { downstreams: r.downstreams } : {}),
          pgSurgery: extension('pg_surgery'),
          pageinspect: extension('pageinspect'),
        },
        checkpoint: {
          nextXid: epoch! * ID_SPACE + xid!,
          oldestXid: r.ckpt_oldest_xid,
          nextMulti: r.ckpt_next_multi,
          nextMultiOffset: r.ckpt_next_offset,
          oldestMulti: r.ckpt_oldest_multi,
          ...(r.checkpoint_time ? { time: r.checkpoint_time.toISOString() } : {}),
        },
        oldestXid: r.oldest_xid,
        oldestMulti: r.oldest_multi,
        liveNextXid: r.live_next_xid,
      };
    },

    async logHits(skipped) {
      if (!row?.can_read_log) {
        skipped.push({ what: 'server log', reason: `needs superuser (or EXECUTE on ${LOG_FUNCTIONS.join(', ')}); give the XID with --xid` });
        return undefined;
      }
      try {
        const [current] = await session.query<{ file: string | null }>('SELECT pg_current_logfile() AS file');
        const file = current?.file;
        if (!file) {
          skipped.push({ what: 'server log', reason: 'the server writes no log file of its own (logging_collector is off); give the XID with --xid' });
          return undefined;
        }
        const [text] = await session.query<{ b: Buffer | null }>(
          `SELECT pg_read_binary_file($1, greatest((pg_stat_file($1, true)).size - $2, 0), $2, true) AS b`,
          [file, LOG_TAIL_BYTES],
        );
        return { file, hits: findLogHits(text?.b?.toString('utf8') ?? '') };
      } catch (error) {
        if (!(error instanceof DoctorError) || error.code === 'unreachable') throw error;
        skipped.push({ what: 'server log', reason: pgErrorOf(error).message });
        return undefined;
      }
    },

    async inventory(facts, xids, skipped) {
      if (!row?.can_list) {
        skipped.push({ what: 'segment files', reason: `needs superuser (or GRANT EXECUTE ON FUNCTION ${FILE_FUNCTIONS.join(', ')} TO ${row?.role ?? '<role>'})` });
        return undefined;
      }
      const [segments] = await session.query<SegmentsRow>(SEGMENTS_SQL);
      const statusBytes = new Map<number, number | undefined>();
      for (const xid of xids) {
        const at = locateXid(xid, { blockSize: facts.server.blockSize });
        statusBytes.set(xid, (await session.query<{ b: Buffer | null }>(BYTES_SQL, [at.file, at.offset, 1]))[0]?.b?.[0]);
      }
      return inventoryFromRow(segments!, statusBytes);
    },

    async probe(facts, fullXids) {
      // pg_xact_status reads pg_xact through the server's own buffers: its error is the server's evidence.
      const sql = facts.server.major >= 13 ? 'SELECT pg_xact_status($1::text::xid8) AS status' : 'SELECT txid_status($1::int8) AS status';
      const out = new Map<number, XidProbe>();
      for (const full of fullXids) {
        try {
          const [r] = await session.query<{ status: string | null }>(sql, [String(full)]);
          out.set(full, { status: r?.status ?? null });
        } catch (error) {
          if (error instanceof DoctorError && error.code === 'unreachable') throw error;
          const e = pgErrorOf(error);
          out.set(full, { error: e.message, ...(e.code ? { code: e.code } : {}) });
        }
      }
      return out;
    },

    close: () => session.close(),
  };
}
