import type { DatasetName, Snapshot } from '../collect/snapshot.js';
import type { FindingDraft } from './finding.js';
import type { Thresholds } from './thresholds.js';

export type Area = 'wraparound' | 'horizon' | 'vacuum' | 'locks' | 'integrity' | 'settings';

export interface CheckContext {
  thresholds: Thresholds;
}

/** A check: pure `evaluate` over the snapshot; one file per check, named by its id. */
export interface CheckDefinition {
  id: string;
  meta: {
    title: string;
    area: Area;
    /** The MVCC mechanism behind the findings, at most two sentences. */
    why: string;
  };
  /** Datasets it reads; the check is skipped (with the reason) when one could not be read. */
  uses: DatasetName[];
  evaluate(snapshot: Snapshot, context: CheckContext): FindingDraft[];
}

export function defineCheck(check: CheckDefinition): CheckDefinition {
  if (!/^[a-z]+(-[a-z]+)*$/.test(check.id)) throw new Error(`check id "${check.id}" must be kebab-case`);
  return Object.freeze(check);
}
