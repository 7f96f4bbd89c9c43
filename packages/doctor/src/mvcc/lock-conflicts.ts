import type { LockRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';

/** Table-level lock modes, weakest first, with the conflict matrix of PostgreSQL's "Explicit Locking" chapter. */
const CONFLICTS: Record<string, readonly string[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ExclusiveLock: ['RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  AccessExclusiveLock: ['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
};

/** The common statements that take each mode on their table, strongest mode first (what an operator would run). */
const TAKEN_BY: [mode: string, statements: string[]][] = [
  ['AccessExclusiveLock', ['ALTER TABLE', 'DROP TABLE', 'TRUNCATE', 'VACUUM FULL', 'CLUSTER', 'REFRESH MATERIALIZED VIEW', 'LOCK TABLE']],
  ['ExclusiveLock', ['REFRESH MATERIALIZED VIEW CONCURRENTLY']],
  ['ShareRowExclusiveLock', ['CREATE TRIGGER', 'ADD FOREIGN KEY']],
  ['ShareLock', ['CREATE INDEX']],
  ['ShareUpdateExclusiveLock', ['VACUUM', 'ANALYZE', 'CREATE INDEX CONCURRENTLY']],
  ['RowExclusiveLock', ['INSERT', 'UPDATE', 'DELETE']],
  ['RowShareLock', ['SELECT … FOR UPDATE']],
  ['AccessShareLock', ['SELECT']],
];

/** The statements that would wait on a lock held in `mode`, strongest first. */
export function statementsBlockedBy(mode: string): string[] {
  const conflicting = CONFLICTS[mode] ?? [];
  return TAKEN_BY.filter(([taken]) => conflicting.includes(taken)).flatMap(([, statements]) => statements);
}

/** One relation lock an idle session holds, and what it would make wait. */
export interface HeldLock {
  relation: string;
  mode: string;
  /** r, p, m, i, … (pg_class.relkind); null when unknown. */
  relkind: string | null;
  blocks: string[];
}

/** The relation locks a session holds in its database, as the locks dataset read them (tables before indexes). */
export function heldLocks(snapshot: Snapshot, pid: number, database: string | null): HeldLock[] {
  const rows: LockRow[] = database ? (snapshot.locks[database] ?? []) : [];
  return rows
    .filter((l) => l.pid === pid && l.granted && l.locktype === 'relation' && l.relation !== null)
    .map((l) => ({ relation: l.relation!, mode: l.mode, relkind: l.relkind ?? null, blocks: statementsBlockedBy(l.mode) }))
    .sort((a, b) => Number(isIndex(a)) - Number(isIndex(b)) || a.relation.localeCompare(b.relation));
}

export function isIndex(lock: HeldLock): boolean {
  return lock.relkind === 'i' || lock.relkind === 'I';
}
