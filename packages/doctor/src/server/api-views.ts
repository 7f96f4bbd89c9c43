import type { ClusterStatus } from '../monitor/monitor.js';
import { SEVERITY_ORDER } from '../engine/finding.js';

const XID_SPACE = 2 ** 31;

/** One row of GET /api/clusters: what the fleet page shows of a cluster. */
export function clusterView(c: ClusterStatus) {
  const findings = c.report?.findings ?? [];
  const worst = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])[0];
  const ages = c.samples.filter((s) => s.metric === 'mvcc_database_xid_age_xids');
  const oldest = ages.sort((a, b) => b.value - a.value)[0];
  const etas = c.samples.filter((s) => s.metric === 'mvcc_database_xid_eta_seconds').sort((a, b) => a.value - b.value);
  return {
    name: c.name,
    target: c.target,
    up: c.up ?? null,
    last_observation_at: c.lastAt === undefined ? null : new Date(c.lastAt).toISOString(),
    observation_ms: c.lastDurationMs ?? null,
    error: c.error ?? null,
    server: c.report?.server ?? null,
    summary: c.report?.summary ?? null,
    worst_finding: worst ? { check: worst.check, severity: worst.severity, summary: worst.summary } : null,
    oldest_database: oldest ? { database: oldest.labels.database, xid_age: oldest.value, share_of_xid_space: oldest.value / XID_SPACE } : null,
    nearest_eta: etas[0] ? { database: etas[0].labels.database, limit: etas[0].labels.limit, seconds: etas[0].value } : null,
    xid_rate: c.lastRate ?? null,
    log: c.log ?? null,
  };
}
