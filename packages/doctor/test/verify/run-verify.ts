import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, InconsistentShopFault } from '@mvcc-doctor/lab';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import type { VerificationId, VerifyFinding } from '../../src/verify/verification.js';
import type { VerifyReport } from '../../src/verify/verify-report.js';
import { verify, type VerifyOptions } from '../../src/verify/verify.js';

/** `mvcc-doctor verify` as the library runs it, on one database of a lab cluster, as `user` when given. */
export async function verifyDb(cluster: Cluster, database: string, options: VerifyOptions & { user?: string } = {}): Promise<VerifyReport> {
  const { user, ...rest } = options;
  const url = new URL(cluster.connectionString(database));
  if (user) url.username = user;
  return verify(resolveConnOptions({ conninfo: url.toString() }), rest);
}

/** The URL the CLI gets. */
export function urlOf(cluster: Cluster, database: string): string {
  return cluster.connectionString(database);
}

export function findingsOf(report: VerifyReport, id: VerificationId): VerifyFinding[] {
  return report.findings.filter((f) => f.check === id);
}

/** The shop's invariant files in a fresh directory, as a user keeps them next to their runbook. */
export function invariantsDir(fault: InconsistentShopFault): string {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-doctor-invariants-'));
  for (const [name, sql] of Object.entries(fault.invariants)) writeFileSync(join(dir, name), sql);
  return dir;
}
