/** What a CONTEXT line says an error or a wait was working on. */
export interface ContextObject {
  /** As the CONTEXT names it: "public.t", "t" or, for autovacuum, "db.public.t". */
  relation?: string;
  /** "(24,41)": the tuple being locked, updated, deleted or checked. */
  tuple?: string;
  block?: number;
  index?: string;
  /** What the backend was doing: "locking tuple", "updating tuple", "scanning block", "truncating relation" … */
  action?: string;
}

// The shapes come from heapam.c/lmgr.c (XactLockTableWait's context: "while updating tuple (%u,%u) in relation
// \"%s\"" and its siblings), vacuumlazy.c's vacuum_error_callback ("while scanning block %u of relation \"%s.%s\"",
// "while cleaning up index \"%s\" of relation …", "while truncating relation \"%s.%s\" to %u blocks") and
// autovacuum.c ("automatic vacuum of table \"%s.%s.%s\"").
const TUPLE = /while (locking|updating|deleting|inserting index|checking uniqueness of|checking exclusion constraint on) tuple \((\d+,\d+)\) in relation "([^"]+)"/;
const UPDATED_VERSION = /while locking updated version \((\d+,\d+)\) of tuple in relation "([^"]+)"/;
const BLOCK = /while (scanning|vacuuming) block (\d+)(?: offset \d+)? of relation "([^"]+)"/;
const INDEX = /while (vacuuming|cleaning up) index "([^"]+)" of relation "([^"]+)"/;
const WHOLE = /while (scanning|vacuuming|truncating) relation "([^"]+)"/;
const AUTOVACUUM = /automatic (vacuum|analyze) of table "([^"]+)"/;

export function objectFromContext(context: string | undefined): ContextObject {
  if (!context || !context.includes('"')) return {};
  let match = TUPLE.exec(context);
  if (match) return { action: `${match[1]} tuple`, tuple: `(${match[2]})`, relation: match[3] };
  match = UPDATED_VERSION.exec(context);
  if (match) return { action: 'locking updated version', tuple: `(${match[1]})`, relation: match[2] };
  match = BLOCK.exec(context);
  if (match) return { action: `${match[1]} block`, block: Number(match[2]), relation: match[3] };
  match = INDEX.exec(context);
  if (match) return { action: `${match[1]} index`, index: match[2], relation: match[3] };
  match = WHOLE.exec(context);
  if (match) return { action: `${match[1]} relation`, relation: match[2] };
  match = AUTOVACUUM.exec(context);
  if (match) return { action: `automatic ${match[1]}`, relation: match[2] };
  return {};
}
