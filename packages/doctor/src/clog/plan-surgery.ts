import type { SegmentProblem } from './analyze-slru.js';
import type { ClogReport } from './check-clog.js';
import type { ClogPlanStep } from './plan-clog.js';

/** t_infomask bits (htup_details.h): xmin committed|invalid (both: frozen), xmax committed, invalid, a MultiXact, lock only. */
const XMIN_HINTED = 0x0100 | 0x0200;
const XMAX_SETTLED = 0x0400 | 0x0800 | 0x1000 | 0x0080;
const XMAX_IS_MULTI = 0x1000;
/** t_infomask2: the old and the new version of an update that made no new index entries. */
const HOT_UPDATED = 0x4000;
const HEAP_ONLY = 0x8000;

/**
 * The SQL that lists the rows whose status is lost, with the pg_surgery call for each. It reads raw pages with
 * pageinspect: a SELECT would itself fail on the first such row. A row needs pg_xact only when its xmin (or
 * xmax) is not hinted yet; a lost MultiXactId matters when it is the row's xmax.
 */
export function affectedRowsSql(segments: SegmentProblem[]): string | undefined {
  const within = (column: string, dir: SegmentProblem['dir']) =>
    segments
      .filter((s) => s.dir === dir)
      .map((s) => `i.${column}::text::int8 BETWEEN ${s.firstId} AND ${s.lastId}`)
      .join(' OR ');
  const xact = within('t_xmin', 'pg_xact');
  const xmax = within('t_xmax', 'pg_xact');
  const multi = within('t_xmax', 'pg_multixact/offsets');
  const conditions = [
    xact && `((${xact}) AND (i.t_infomask & ${XMIN_HINTED}) = 0)`,
    xmax && `((${xmax}) AND (i.t_infomask & ${XMAX_SETTLED}) = 0)`,
    multi && `((${multi}) AND (i.t_infomask & ${XMAX_IS_MULTI}) <> 0 AND (i.t_infomask & 2048) = 0)`,
  ].filter(Boolean);
  if (conditions.length === 0) return undefined; // only member segments: no row names a member offset
  return `SELECT c.oid::regclass AS relation, format('(%s,%s)', b, i.lp)::tid AS ctid, i.t_xmin, i.t_xmax,
       CASE WHEN (i.t_infomask2 & ${HOT_UPDATED}) <> 0 THEN 'HOT-updated: its newer version is reached through it'
            WHEN (i.t_infomask2 & ${HEAP_ONLY}) <> 0 THEN 'heap-only: the newer version of a HOT update' END AS hot,
       format('SELECT heap_force_freeze(%L::regclass, ARRAY[%L]::tid[]);', c.oid::regclass, format('(%s,%s)', b, i.lp)) AS keep,
       format('SELECT heap_force_kill(%L::regclass, ARRAY[%L]::tid[]);', c.oid::regclass, format('(%s,%s)', b, i.lp)) AS remove
  FROM pg_class c
  CROSS JOIN LATERAL generate_series(0, pg_relation_size(c.oid) / current_setting('block_size')::int - 1) AS b
  CROSS JOIN LATERAL heap_page_items(get_raw_page(c.oid::regclass::text, b::int)) AS i
 WHERE c.relkind IN ('r', 't', 'm') AND c.relpersistence <> 't' AND i.lp_flags = 1
   AND (${conditions.join('\n     OR ')})
 ORDER BY 1, 2;`;
}

export function surgeryStep(check: ClogReport, segments: SegmentProblem[]): ClogPlanStep {
  const { server } = check;
  const steps: string[] = [];
  let when = 'When no copy of the file exists: decide row by row, from what the application knows, instead of for a whole segment at once.';
  if (server.major < 14) {
    when = `Not on PostgreSQL ${server.major}: pg_surgery came with 14. Go to the last step (or upgrade a copy first).`;
  } else {
    if (server.inRecovery) when += ' A standby is read-only: run it on the primary (after promotion, if this standby is to become it).';
    if (server.pgSurgery === null) when += ' pg_surgery is not installed on this server: install the contrib package of this version first.';
    if (server.pageinspect === null) when += ' pageinspect (to find the rows) is not installed either: the same contrib package has it.';
  }
  const query = affectedRowsSql(segments);
  if (!query) {
    return {
      title: 'Per row, with pg_surgery (PostgreSQL 14+)',
      safety: 'per-row',
      when: 'Not for pg_multixact/members alone: rows name MultiXactIds, not member offsets, so no query finds the rows those members belong to. Copy the files (step 1).',
      commands: [],
      consequences: [],
    };
  }
  steps.push(
    '-- In every database, as a superuser (the query reads each table\'s pages once; on a large database restrict c.oid to the tables the errors name):',
    'CREATE EXTENSION IF NOT EXISTS pageinspect;',
    'CREATE EXTENSION IF NOT EXISTS pg_surgery;',
    query,
    '-- For each row, run the statement of one column:',
    '--   keep:   heap_force_freeze: the row counts as committed and never deleted (its xmin frozen, its xmax cleared);',
    '--   remove: heap_force_kill:   the row is gone, as if its insert had rolled back or its delete had committed.',
    '-- Then rebuild every table you changed: pg_dump -t <table> (or CREATE TABLE … AS SELECT * FROM <table>), drop it, restore it;',
    '-- and run pg_amcheck --heapallindexed on the database. REINDEX alone is not enough after removing a HOT-updated row.',
  );
  return {
    title: 'Per row, with pg_surgery (PostgreSQL 14+)',
    safety: 'per-row',
    when,
    commands: steps,
    consequences: [
      'Only the rows listed change; every other row of the table reads again, with its real status.',
      'keep on a row whose xmax is lost undoes a delete (for an update, both versions are then live: a duplicate); remove on a row whose xmin is lost drops an insert that may have committed.',
      'Removing the old version of a HOT update (column "hot") hides the kept new version from every index of the table: a sequential scan reads it, an index scan does not, and REINDEX fails with "failed to find parent tuple for heap-only tuple" (measured on 15). Rebuilding the table from a dump or a CREATE TABLE … AS fixes it.',
      'A unique index may hold two live rows for one key if both versions of an update were kept.',
    ],
  };
}
