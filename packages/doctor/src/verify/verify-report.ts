import { SEVERITY_ORDER, type Severity } from '../engine/finding.js';
import type { VerificationId, VerifyFinding, VerifyGap } from './verification.js';

/** What one verification did, for the summary line and the JSON. */
export interface VerificationSummary {
  id: VerificationId;
  /** What `checked` counts ("foreign keys"). */
  unit: string;
  checked: number;
  findings: number;
  skipped: number;
  unfinished: number;
  duration_ms: number;
}

/** The verify document (docs/verify.md): one database, every verification. */
export interface VerifyReport {
  tool: 'mvcc-doctor';
  command: 'verify';
  schema_version: 1;
  version: string;
  generated_at: string;
  target: { host: string; port: number; user: string; database: string };
  server: { version: string; version_num: number; in_recovery: boolean; role: string; superuser: boolean };
  scope: { schema: string | null; invariants: string[]; heapallindexed: boolean; statement_timeout_ms: number; lock_timeout_ms: number };
  duration_ms: number;
  verifications: VerificationSummary[];
  /** Most severe first. */
  findings: VerifyFinding[];
  /** Not looked at, and why (amcheck missing, a privilege). */
  skipped: VerifyGap[];
  /** Started and not finished (a timeout, a lock, a failing invariant): nothing is known there. */
  unfinished: VerifyGap[];
  summary: Record<Severity, number> & { skipped: number; unfinished: number };
  /** 2 critical, 1 warning, 3 when nothing was found but something could not be finished, 0 clean. */
  exit_code: 0 | 1 | 2 | 3;
}

/**
 * check's exit codes, plus one rule of verify's own: a verification that did not finish cannot vouch for the
 * data, so "nothing found" with something unfinished is 3 (could not diagnose), not 0.
 */
export function verifyExitCode(findings: readonly VerifyFinding[], unfinished: readonly VerifyGap[]): 0 | 1 | 2 | 3 {
  if (findings.some((f) => f.severity === 'critical')) return 2;
  if (findings.some((f) => f.severity === 'warning')) return 1;
  return unfinished.length > 0 ? 3 : 0;
}

export function sortFindings(findings: VerifyFinding[]): VerifyFinding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
