/**
 * The lock a process waits for, as DescribeLockTag (lmgr.c) words it, with the type named as pg_locks.locktype
 * names it, so a log event and a live pg_locks row read the same.
 */
export interface LockTarget {
  /** pg_locks.locktype: relation, extend, frozenid, page, tuple, transactionid, virtualxid, spectoken, object, userlock, advisory, applytransaction; "unknown" otherwise. */
  lock_type: string;
  /** The log's own words, e.g. "transaction 259635360" or "tuple (106,38) of relation 16421 of database 16385". */
  lock_object: string;
  xid?: number;
  virtual_xid?: string;
  relation_oid?: number;
  database_oid?: number;
  block?: number;
  tuple?: string;
  class_oid?: number;
  object_oid?: number;
  advisory_key?: string;
}

interface Shape {
  pattern: RegExp;
  build(match: RegExpExecArray): Omit<LockTarget, 'lock_object'>;
}

const SHAPES: Shape[] = [
  {
    // DescribeLockTag always names the database; pganalyze's own test case leaves it out, so it is optional here.
    pattern: /^relation (\d+)(?: of database (\d+))?$/,
    build: (m) => ({ lock_type: 'relation', relation_oid: Number(m[1]), ...(m[2] !== undefined ? { database_oid: Number(m[2]) } : {}) }),
  },
  { pattern: /^transaction (\d+)$/, build: (m) => ({ lock_type: 'transactionid', xid: Number(m[1]) }) },
  {
    pattern: /^tuple \((\d+),(\d+)\) of relation (\d+) of database (\d+)$/,
    build: (m) => ({ lock_type: 'tuple', tuple: `(${m[1]},${m[2]})`, block: Number(m[1]), relation_oid: Number(m[3]), database_oid: Number(m[4]) }),
  },
  { pattern: /^virtual transaction (-?\d+\/\d+)$/, build: (m) => ({ lock_type: 'virtualxid', virtual_xid: m[1] }) },
  { pattern: /^extension of relation (\d+) of database (\d+)$/, build: (m) => ({ lock_type: 'extend', relation_oid: Number(m[1]), database_oid: Number(m[2]) }) },
  {
    pattern: /^page (\d+) of relation (\d+) of database (\d+)$/,
    build: (m) => ({ lock_type: 'page', block: Number(m[1]), relation_oid: Number(m[2]), database_oid: Number(m[3]) }),
  },
  { pattern: /^speculative token (\d+) of transaction (\d+)$/, build: (m) => ({ lock_type: 'spectoken', xid: Number(m[2]) }) },
  {
    pattern: /^object (\d+) of class (\d+) of database (\d+)$/,
    build: (m) => ({ lock_type: 'object', object_oid: Number(m[1]), class_oid: Number(m[2]), database_oid: Number(m[3]) }),
  },
  { pattern: /^advisory lock \[([\d,]+)\]$/, build: (m) => ({ lock_type: 'advisory', advisory_key: m[1] }) },
  { pattern: /^user lock \[([\d,]+)\]$/, build: (m) => ({ lock_type: 'userlock', advisory_key: m[1] }) },
  { pattern: /^pg_database\.datfrozenxid of database (\d+)$/, build: (m) => ({ lock_type: 'frozenid', database_oid: Number(m[1]) }) },
  {
    pattern: /^remote transaction (\d+) of subscription (\d+) of database (\d+)$/,
    build: (m) => ({ lock_type: 'applytransaction', xid: Number(m[1]), database_oid: Number(m[3]) }),
  },
];

export function parseLockTarget(description: string): LockTarget {
  for (const shape of SHAPES) {
    const match = shape.pattern.exec(description);
    if (match) return { ...shape.build(match), lock_object: description };
  }
  return { lock_type: 'unknown', lock_object: description };
}
