import { TAIL_BYTES, type ClogInventory, type SegmentFile } from './inventory.js';
import { ID_SPACE, SLRU_DIRS, type SlruDir } from './slru.js';

/**
 * Everything clog check judges, in one statement: the SLRU segment files (name, size, last bytes) and the
 * counters they are judged against — the last checkpoint's (the last restartpoint on a standby) and the oldest
 * datfrozenxid / datminmxid — plus the oldest MultiXactId's first member offset from its offsets entry (4
 * bytes, little-endian, block_size * 8 MultiXactIds per segment). Needs superuser, or EXECUTE on pg_ls_dir,
 * pg_stat_file and pg_read_binary_file. `check` reads it as a dataset; `clog check` too.
 */
export const SEGMENTS_SQL = `WITH f AS (
    SELECT d.dir, f.name, s.size,
      encode(pg_read_binary_file(d.dir || '/' || f.name, greatest(s.size - ${TAIL_BYTES}, 0), least(s.size, ${TAIL_BYTES}), true), 'hex') AS tail
    FROM unnest(ARRAY[${SLRU_DIRS.map((d) => `'${d}'`).join(', ')}]) AS d(dir)
    CROSS JOIN LATERAL pg_ls_dir(d.dir, true, false) AS f(name)
    CROSS JOIN LATERAL pg_stat_file(d.dir || '/' || f.name, true) AS s
    WHERE f.name ~ '^[0-9A-F]{4,6}$' AND s.size IS NOT NULL),
  m AS (SELECT datminmxid::text::int8 AS oldest_multi FROM pg_database ORDER BY mxid_age(datminmxid) DESC LIMIT 1),
  bs AS (SELECT current_setting('block_size')::int AS block_size)
  SELECT bs.block_size, pg_is_in_recovery() AS in_recovery,
    (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS data_directory,
    c.next_xid AS ckpt_next_xid, c.oldest_xid::text::int8 AS ckpt_oldest_xid,
    c.next_multixact_id::text::int8 AS ckpt_next_multi, c.next_multi_offset::text::int8 AS ckpt_next_offset,
    c.oldest_multi_xid::text::int8 AS ckpt_oldest_multi, c.checkpoint_time,
    (SELECT datfrozenxid::text::int8 FROM pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1) AS oldest_xid,
    m.oldest_multi,
    (SELECT get_byte(b, 0) + get_byte(b, 1) * 256 + get_byte(b, 2) * 65536 + get_byte(b, 3)::int8 * 16777216
       FROM pg_read_binary_file(format('pg_multixact/offsets/%s', lpad(upper(to_hex(m.oldest_multi / (bs.block_size * 8))), 4, '0')),
                                (m.oldest_multi % (bs.block_size * 8)) * 4, 4, true) AS b) AS oldest_multi_offset,
    (SELECT coalesce(json_agg(f), '[]') FROM f) AS files
  FROM pg_control_checkpoint() c, m, bs`;

/** One row of SEGMENTS_SQL (int8 columns as numbers, as our sessions read them). */
/** The IDs the last checkpoint and pg_database give: what the segments must cover (read by both SQL sources). */
export interface CheckpointIds {
  /** "epoch:xid", as pg_control_checkpoint() shows it. */
  ckpt_next_xid: string;
  ckpt_oldest_xid: number;
  ckpt_next_multi: number;
  ckpt_next_offset: number;
  ckpt_oldest_multi: number;
  checkpoint_time: Date | null;
  oldest_xid: number;
  oldest_multi: number;
}

export interface SegmentsRow extends CheckpointIds {
  block_size: number;
  in_recovery: boolean;
  data_directory: string | null;
  /** null when the oldest MultiXactId's offsets segment is missing or too short. */
  oldest_multi_offset: number | null;
  files: { dir: SlruDir; name: string; size: number; tail: string | null }[];
}

/** The inventory a row stands for; `statusBytes` are the bytes of XIDs asked about, read separately. */
export function inventoryFromRow(row: SegmentsRow, statusBytes = new Map<number, number | undefined>()): ClogInventory {
  const [epoch, xid] = row.ckpt_next_xid.split(':').map(Number);
  const files = Object.fromEntries(SLRU_DIRS.map((d) => [d, [] as SegmentFile[]])) as Record<SlruDir, SegmentFile[]>;
  for (const f of row.files) files[f.dir]?.push({ name: f.name, size: Number(f.size), tail: Buffer.from(f.tail ?? '', 'hex') });
  const nextMulti = row.ckpt_next_multi;
  return {
    blockSize: row.block_size,
    inRecovery: row.in_recovery,
    checkpoint: {
      nextXid: epoch! * ID_SPACE + xid!,
      oldestXid: row.ckpt_oldest_xid,
      nextMulti,
      nextMultiOffset: row.ckpt_next_offset,
      oldestMulti: row.ckpt_oldest_multi,
      ...(row.checkpoint_time ? { time: new Date(row.checkpoint_time).toISOString() } : {}),
    },
    oldestXid: row.oldest_xid,
    oldestMulti: row.oldest_multi,
    // No MultiXactId in use: the members in use start at the next offset.
    ...(row.oldest_multi === nextMulti ? { oldestMultiOffset: row.ckpt_next_offset } : row.oldest_multi_offset === null ? {} : { oldestMultiOffset: row.oldest_multi_offset }),
    files,
    statusBytes,
  };
}
