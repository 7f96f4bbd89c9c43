import { readAppRegistry, type AppRegistry } from './app/app-registry.js';
import { joinAppRegistries } from './app/join-app.js';
import { CHECKS } from './checks/index.js';
import { collect } from './collect/collect.js';
import { COSTLY_DATASETS } from './collect/database-datasets.js';
import { serverLogWanted } from './collect/server-log-wanted.js';
import type { Skip, Snapshot, XidRate } from './collect/snapshot.js';
import type { CheckDefinition } from './engine/define-check.js';
import { runChecks } from './engine/run-checks.js';
import { longRunRate, rateBasis } from './mvcc/xid-rate-evidence.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './engine/thresholds.js';
import type { ConnOptions } from './connect/conn-options.js';
import { DEFAULT_LIMITS, type Session, type SessionLimits } from './connect/safe-session.js';
import { exitCodeFor, summarize, type Report } from './report/report.js';
import { VERSION } from './version.js';

export interface DiagnoseOptions {
  /** Only this database; every database that accepts connections when absent. */
  dbname?: string;
  /** XID rate sample length in ms (0: none). */
  sampleMs?: number;
  limits?: SessionLimits;
  thresholds?: Partial<Thresholds>;
  /** Only these checks (all by default). */
  checks?: readonly CheckDefinition[];
  /** URLs of @mvcc-doctor/pg registries to join to the findings by backend pid. */
  apps?: string[];
  /**
   * Also read what costs more than catalog lookups: relation sizes and pgstattuple for bloat, the server log's tail
   * for deadlock details. Default true (a one-shot `check`); the daemon's periodic looks pass false, and the checks
   * that need them then do not run.
   */
  costly?: boolean;
  /** Epoch ms: deadlock details from the server log from this time (the last 24 hours when absent). */
  since?: number;
}

/** Read the server once, run every check, and return the report (the library entry point of `check`). */
export async function diagnose(conn: ConnOptions, options: DiagnoseOptions = {}): Promise<Report> {
  return (await examine(conn, options)).report;
}

/** A diagnosis with what it was made from: the daemon keeps the snapshot's numbers as time series. */
export interface Examination {
  report: Report;
  snapshot: Snapshot;
  registries: AppRegistry[];
}

export interface ExamineOptions extends DiagnoseOptions {
  /** The XID rate to judge by when no sample was taken (the daemon fits it from its history). */
  rateOf?: (snapshot: Snapshot) => XidRate | undefined;
}

export async function examine(conn: ConnOptions, options: ExamineOptions = {}): Promise<Examination> {
  const started = Date.now();
  const costly = options.costly ?? true;
  const withEntry = costly ? (entry: Session, snapshot: Snapshot) => addServerLogIfWanted(entry, snapshot, options.since) : undefined;
  const snapshot = await collect(conn, { dbname: options.dbname, sampleMs: options.sampleMs ?? 0, limits: options.limits ?? DEFAULT_LIMITS, costly, withEntry });
  snapshot.xidRate ??= options.rateOf?.(snapshot);
  const checks = (options.checks ?? CHECKS).filter((c) => costly || !c.uses.some((name) => COSTLY_DATASETS.has(name)));
  const checked = runChecks(snapshot, { thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds } }, checks);
  const { registries, skipped: appSkips } = await readRegistries(options.apps ?? []);
  const findings = joinAppRegistries(checked.findings, registries);
  const skipped = [...checked.skipped, ...appSkips];
  const report: Report = {
    tool: 'mvcc-doctor',
    schema_version: 1,
    version: VERSION,
    generated_at: new Date().toISOString(),
    target: { host: conn.host, port: conn.port, user: conn.user, database: options.dbname ?? conn.database },
    server: {
      version: snapshot.server.version,
      version_num: snapshot.server.version_num,
      in_recovery: snapshot.server.in_recovery,
      role: snapshot.server.role,
      superuser: snapshot.server.superuser,
    },
    databases_examined: Object.keys(snapshot.tables).sort(),
    xid_rate: snapshot.xidRate ?? null,
    xid_rate_basis: rateBasis(snapshot.xidRate, longRunRate(snapshot)),
    duration_ms: Date.now() - started,
    findings,
    skipped,
    summary: summarize(findings),
    exit_code: exitCodeFor(findings),
  };
  return { report, snapshot, registries };
}

/** The server log's tail, when the snapshot shows it has something to add; only then is its reader loaded. */
async function addServerLogIfWanted(entry: Session, snapshot: Snapshot, since: number | undefined): Promise<void> {
  const wanted = serverLogWanted(snapshot);
  if (wanted) await (await import('./collect/server-log.js')).addServerLog(entry, snapshot, since, wanted);
}

/** An app that cannot be read is a skip, not a failed diagnosis: the database findings stand on their own. */
async function readRegistries(urls: string[]): Promise<{ registries: AppRegistry[]; skipped: Skip[] }> {
  const results = await Promise.allSettled(urls.map((url) => readAppRegistry(url)));
  return {
    registries: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    skipped: results.flatMap((r) => (r.status === 'rejected' ? [{ what: 'app', reason: (r.reason as Error).message }] : [])),
  };
}
