import type { DatasetName, Snapshot } from '../collect/snapshot.js';
import type { FindingDraft, Severity } from './finding.js';
import type { Thresholds } from './thresholds.js';

/** The areas of diagnosis, in the order reports show them. */
export const AREAS = ['wraparound', 'horizon', 'vacuum', 'locks', 'queries', 'integrity', 'settings'] as const;
export type Area = (typeof AREAS)[number];

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
    /** What it looks at and when it reports, for its page in docs/checks. */
    description: string;
    /** When each severity it reports applies; the check tester fails a finding of a severity not listed. */
    severities: Partial<Record<Severity, string>>;
    /** The thresholds that tune it (`--threshold NAME=VALUE`). */
    thresholds?: (keyof Thresholds)[];
    /** The server settings it takes into account. */
    settings?: string[];
    /** The fix in a sentence or two; each finding carries the exact SQL. */
    remediation: string;
  };
  /** Datasets it reads; the check is skipped (with the reason) when one could not be read. */
  uses: DatasetName[];
  /**
   * Why the check cannot say anything about this server although its datasets were read (an extension that is not
   * installed, say): it is then reported as skipped with that reason instead of evaluated.
   */
  skip?(snapshot: Snapshot): string | undefined;
  evaluate(snapshot: Snapshot, context: CheckContext): FindingDraft[];
}

export function defineCheck(check: CheckDefinition): CheckDefinition {
  if (!/^[a-z]+(-[a-z]+)*$/.test(check.id)) throw new Error(`check id "${check.id}" must be kebab-case`);
  if (Object.keys(check.meta.severities).length === 0) throw new Error(`check "${check.id}" must declare its severities`);
  return Object.freeze(check);
}
