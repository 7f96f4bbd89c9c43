import type { ConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';
import { DEFAULT_LIMITS, openSession, type SessionLimits } from '../connect/safe-session.js';
import { summarize } from '../report/report.js';
import { VERSION } from '../version.js';
import { readForeignKeys, type ForeignKey } from './foreign-keys.js';
import type { Invariant } from './invariant-files.js';
import { VERIFICATIONS } from './verifications.js';
import type { VerificationId, VerifyContext, VerifyFinding, VerifyGap, VerifyScope } from './verification.js';
import { sortFindings, verifyExitCode, type VerificationSummary, type VerifyReport } from './verify-report.js';

export interface VerifyOptions {
  /** Only this schema's tables, indexes and sequences (all but the system schemas by default). */
  schema?: string;
  /** User invariants (loadInvariants reads a directory of them). */
  invariants?: readonly Invariant[];
  /** statement_timeout bounds every probe; lock_timeout keeps each from queueing behind a lock. */
  limits?: SessionLimits;
  /** Rows shown per finding. Default 10. */
  rows?: number;
  /** bt_index_check with heapallindexed: also proves every row has its index entry (reads every table). Default false. */
  heapallindexed?: boolean;
  /** Blocks per verify_heapam statement. Default 1024 (8 MiB). */
  heapChunkBlocks?: number;
  /** Only these verifications (all by default). */
  only?: readonly VerificationId[];
}

interface ServerRow {
  version: string;
  version_num: number;
  in_recovery: boolean;
  role: string;
  superuser: boolean;
  schema_found: boolean;
}

/**
 * Prove one database whole after an incident: every verification on one read-only session of the one
 * session factory (bounded, tagged, no XID), in order, each failure a gap in the report rather than a crash.
 */
export async function verify(conn: ConnOptions, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const limits = options.limits ?? DEFAULT_LIMITS;
  const scope: VerifyScope = Object.freeze({
    schema: options.schema,
    rows: options.rows ?? 10,
    heapallindexed: options.heapallindexed ?? false,
    heapChunkBlocks: options.heapChunkBlocks ?? 1024,
    invariants: options.invariants ?? [],
    statementTimeoutMs: limits.statementTimeoutMs,
    lockTimeoutMs: limits.lockTimeoutMs,
  });
  const session = await openSession(conn, conn.database, limits);
  try {
    const [server] = await session.query<ServerRow>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
              pg_is_in_recovery() AS in_recovery, current_user::text AS role,
              coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS superuser,
              $1::text IS NULL OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1::text) AS schema_found`,
      [options.schema ?? null],
    );
    if (!server!.schema_found) throw new DoctorError('usage', `schema "${options.schema}" does not exist in database "${conn.database}"`);
    let foreignKeys: Promise<ForeignKey[]> | undefined;
    const ctx: VerifyContext = {
      session,
      database: conn.database,
      versionNum: server!.version_num,
      scope,
      foreignKeys: () => (foreignKeys ??= readForeignKeys(session, scope.schema)),
    };
    const findings: VerifyFinding[] = [];
    const skipped: VerifyGap[] = [];
    const unfinished: VerifyGap[] = [];
    const verifications: VerificationSummary[] = [];
    for (const verification of VERIFICATIONS) {
      if (options.only && !options.only.includes(verification.id)) continue;
      const t0 = Date.now();
      const outcome = await verification.run(ctx);
      findings.push(...outcome.findings);
      skipped.push(...outcome.skipped);
      unfinished.push(...outcome.unfinished);
      verifications.push({
        id: verification.id,
        unit: verification.unit,
        checked: outcome.checked,
        findings: outcome.findings.length,
        skipped: outcome.skipped.length,
        unfinished: outcome.unfinished.length,
        duration_ms: Date.now() - t0,
      });
    }
    const sorted = sortFindings(findings);
    return {
      tool: 'mvcc-doctor',
      command: 'verify',
      schema_version: 1,
      version: VERSION,
      generated_at: new Date().toISOString(),
      target: { host: conn.host, port: conn.port, user: conn.user, database: conn.database },
      server: { version: server!.version, version_num: server!.version_num, in_recovery: server!.in_recovery, role: server!.role, superuser: server!.superuser },
      scope: {
        schema: scope.schema ?? null,
        invariants: scope.invariants.map((i) => i.name),
        heapallindexed: scope.heapallindexed,
        statement_timeout_ms: scope.statementTimeoutMs,
        lock_timeout_ms: scope.lockTimeoutMs,
      },
      duration_ms: Date.now() - started,
      verifications,
      findings: sorted,
      skipped,
      unfinished,
      summary: { ...summarize(sorted), skipped: skipped.length, unfinished: unfinished.length },
      exit_code: verifyExitCode(sorted, unfinished),
    };
  } finally {
    await session.close();
  }
}
