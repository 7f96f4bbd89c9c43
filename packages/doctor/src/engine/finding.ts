export type Severity = 'critical' | 'warning' | 'info';

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** What a finding is about; only the fields that apply are set. */
export interface Subject {
  database?: string;
  schema?: string;
  table?: string;
  /** An index of `table`. */
  index?: string;
  pid?: number;
  gid?: string;
  slot?: string;
  standby?: string;
  setting?: string;
}

/** Where in the application the fault came from, when the app tagged its work (see @mvcc-doctor/pg). */
export interface Origin {
  app?: string;
  origin?: string;
  route?: string;
  traceparent?: string;
  /** The opening stack, from the app's registry (`check --app`). */
  stack?: string;
  /** The app process the registry came from. */
  process?: string;
}

/** One diagnosed fault. The JSON output is an array of these; the field set is the stable schema. */
export interface Finding {
  /** Stable check id, e.g. "xid-wraparound". */
  check: string;
  severity: Severity;
  subject: Subject;
  /** One sentence. */
  summary: string;
  /** The rows that prove it. */
  evidence: Record<string, unknown>[];
  /** The MVCC mechanism, at most two sentences. */
  why: string;
  /** Exact SQL or commands, safest first. */
  remediation: string[];
  origin?: Origin;
}

export type FindingDraft = Omit<Finding, 'check' | 'why'> & { why?: string };
