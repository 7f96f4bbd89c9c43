import type { Session } from '../connect/safe-session.js';
import type { Finding, Subject } from '../engine/finding.js';
import type { ForeignKey } from './foreign-keys.js';
import type { Invariant } from './invariant-files.js';

/** The ids of verify's findings; each is one file of src/verify/ and one section of docs/verify.md. */
export type VerificationId =
  | 'fk-not-valid'
  | 'fk-triggers-disabled'
  | 'triggers-disabled'
  | 'sequence-behind'
  | 'orphan-rows'
  | 'unique-duplicates'
  | 'invariant-violated'
  | 'index-corruption'
  | 'heap-corruption';

/** What a verify finding is about: check's Subject plus the objects only verify names. */
export interface VerifySubject extends Subject {
  constraint?: string;
  index?: string;
  sequence?: string;
  trigger?: string;
  /** The role whose settings turn triggers off. */
  role?: string;
  /** An invariant's file name. */
  file?: string;
}

/** A Finding of check's shape (same renderers, same JSON fields), with verify's subject. */
export interface VerifyFinding extends Omit<Finding, 'subject' | 'check'> {
  check: VerificationId;
  subject: VerifySubject;
}

/** Something verify did not look at (skipped) or did not get to the end of (unfinished), and why. */
export interface VerifyGap {
  verification: VerificationId;
  subject?: VerifySubject;
  reason: string;
}

/** What one verification did: how many objects it examined, and what it found or could not do. */
export interface VerifyOutcome {
  checked: number;
  findings: VerifyFinding[];
  skipped: VerifyGap[];
  unfinished: VerifyGap[];
}

export interface VerifyScope {
  /** Only tables, indexes and sequences of this schema (every schema but the system ones when absent). */
  schema?: string;
  /** Rows shown per finding (samples of orphans, duplicate keys, invariant violations). */
  rows: number;
  /** bt_index_check(…, heapallindexed => true): also finds heap rows the index lacks (reads the whole table). */
  heapallindexed: boolean;
  /** verify_heapam reads this many blocks per statement, so an unreadable page costs one chunk, not the table. */
  heapChunkBlocks: number;
  /** The user's invariant queries. */
  invariants: readonly Invariant[];
  /** The statement_timeout in ms, to say what ended a statement. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export interface VerifyContext {
  session: Session;
  database: string;
  versionNum: number;
  scope: VerifyScope;
  /** The foreign keys in scope, read once and shared by the verifications that need them. */
  foreignKeys(): Promise<ForeignKey[]>;
}

/** One verification: a small read-only probe of one kind of damage. */
export interface Verification {
  id: VerificationId;
  /** What `checked` counts, plural ("foreign keys"). */
  unit: string;
  run(ctx: VerifyContext): Promise<VerifyOutcome>;
}

export function emptyOutcome(): VerifyOutcome {
  return { checked: 0, findings: [], skipped: [], unfinished: [] };
}
