import { settingNumber } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import type { Finding } from '../engine/finding.js';
import type { Thresholds } from '../engine/thresholds.js';
import { horizonHolders } from '../mvcc/horizon-holders.js';
import { ageLimits } from '../mvcc/wraparound-limits.js';
import type { Sample } from './sample.js';

const TOP_TABLES = 10;
/** Holders are labelled by pid, gid or slot: the oldest 20 bound the series a cluster can add per observation. */
const TOP_HOLDERS = 20;

/** The time series values of one snapshot; everything a chart or /metrics shows comes from here. */
export function samplesOf(snapshot: Snapshot, findings: Finding[], thresholds: Thresholds): Sample[] {
  const out: Sample[] = [];
  const add = (metric: string, labels: Record<string, string>, value: number | null | undefined) => {
    if (value !== null && value !== undefined && Number.isFinite(value)) out.push({ metric, labels, value });
  };
  add('mvcc_xids_assigned_total', {}, Number(snapshot.server.next_xid));
  for (const [limit, value] of Object.entries(limitsOf(snapshot))) add('mvcc_xid_limit_xids', { limit }, value);
  for (const d of snapshot.databases ?? []) {
    add('mvcc_database_xid_age_xids', { database: d.datname }, d.xid_age);
    add('mvcc_database_mxid_age_xids', { database: d.datname }, d.mxid_age);
    add('mvcc_deadlocks_total', { database: d.datname }, d.deadlocks);
    add('mvcc_checksum_failures_total', { database: d.datname }, d.checksum_failures);
  }
  for (const h of horizonHolders(snapshot).slice(0, TOP_HOLDERS)) {
    const labels = { database: h.reach === 'cluster' ? '' : (h.database ?? ''), holder_kind: holderKind(h), holder: h.label };
    add('mvcc_xmin_horizon_age_xids', labels, h.xids);
    add('mvcc_xmin_horizon_age_seconds', labels, h.seconds);
  }
  sessionSamples(snapshot, thresholds, add);
  for (const s of snapshot.slots ?? []) {
    const labels = { slot: s.slot_name, slot_type: s.slot_type };
    add('mvcc_replication_slot_xmin_age_xids', labels, s.xmin_age ?? s.catalog_xmin_age);
    add('mvcc_replication_slot_retained_wal_bytes', labels, s.retained_bytes);
    add('mvcc_replication_slot_active', labels, s.active ? 1 : 0);
  }
  for (const [database, tables] of Object.entries(snapshot.tables)) {
    const top = tables.filter((t) => (t.dead_tuples ?? 0) > 0).sort((a, b) => b.dead_tuples! - a.dead_tuples!).slice(0, TOP_TABLES);
    for (const t of top) add('mvcc_table_dead_tuples', { database, table: `${t.schema}.${t.name}` }, t.dead_tuples);
  }
  for (const severity of ['critical', 'warning', 'info'] as const) add('mvcc_findings', { severity }, findings.filter((f) => f.severity === severity).length);
  return out;
}

type Add = (metric: string, labels: Record<string, string>, value: number | null | undefined) => void;

/** Per database: idle-in-transaction and long transactions, prepared transactions, lock waits; busy autovacuum workers. */
function sessionSamples(snapshot: Snapshot, thresholds: Thresholds, add: Add): void {
  const clients = (snapshot.activity ?? []).filter((a) => a.backend_type === 'client backend' || a.backend_type === null);
  for (const database of (snapshot.databases ?? []).map((d) => d.datname)) {
    const here = clients.filter((a) => a.datname === database);
    const idle = here.filter((a) => a.state?.startsWith('idle in transaction'));
    add('mvcc_idle_in_transaction_sessions', { database }, idle.length);
    add('mvcc_idle_in_transaction_oldest_seconds', { database }, maxOf(idle.map((a) => a.state_seconds)));
    const open = here.filter((a) => a.xact_seconds !== null);
    add('mvcc_long_transactions', { database }, open.filter((a) => a.xact_seconds! >= thresholds.longTransactionSeconds).length);
    add('mvcc_transaction_oldest_seconds', { database }, maxOf(open.map((a) => a.xact_seconds)));
    const prepared = (snapshot.prepared ?? []).filter((p) => p.database === database);
    add('mvcc_prepared_transactions', { database }, prepared.length);
    add('mvcc_prepared_transaction_oldest_seconds', { database }, maxOf(prepared.map((p) => p.seconds)));
    const waiting = here.filter((a) => a.wait_event_type === 'Lock');
    add('mvcc_lock_waiters', { database }, waiting.length);
    add('mvcc_lock_wait_oldest_seconds', { database }, maxOf(waiting.map((a) => a.state_seconds)));
  }
  if (snapshot.activity) add('mvcc_autovacuum_workers_busy', {}, snapshot.activity.filter((a) => a.backend_type === 'autovacuum worker').length);
}

function maxOf(values: (number | null)[]): number {
  return values.reduce<number>((max, v) => Math.max(max, v ?? 0), 0);
}

function holderKind(h: ReturnType<typeof horizonHolders>[number]): string {
  if (h.kind === 'session') return h.session?.state?.startsWith('idle in transaction') ? 'idle-in-transaction' : 'session';
  if (h.kind === 'replication-slot') return h.reach === 'catalog' ? 'slot-catalog' : 'slot';
  return h.kind;
}

/** The XID ages at which the server acts, from its own settings. */
export function limitsOf(snapshot: Snapshot): Record<string, number> {
  const limits = ageLimits(
    snapshot.server.version_num,
    settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000),
    settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000),
  );
  const out: Record<string, number> = { autovacuum_freeze_max_age: limits.autovacuum, warning: limits.warn, stop: limits.stop };
  if (limits.failsafe !== undefined) out.failsafe = limits.failsafe;
  return out;
}
