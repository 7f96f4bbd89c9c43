import type { Skip, XidRate } from '../collect/snapshot.js';
import type { Finding, Severity } from '../engine/finding.js';

/** Everything a renderer needs; also the JSON document (schema_version 1). */
export interface Report {
  tool: 'mvcc-doctor';
  schema_version: 1;
  version: string;
  generated_at: string;
  target: { host: string; port: number; user: string; database: string };
  server: { version: string; version_num: number; in_recovery: boolean; role: string; superuser: boolean };
  databases_examined: string[];
  xid_rate: XidRate | null;
  /** Where the rate the ETAs use comes from, and how sure it is: the sample, and the longer run the server kept. */
  xid_rate_basis: string;
  duration_ms: number;
  findings: Finding[];
  skipped: Skip[];
  summary: Record<Severity, number>;
  /** 0 ok, 1 warning, 2 critical (Nagios convention); 3 is for "could not diagnose" and has no report. */
  exit_code: 0 | 1 | 2;
}

export function exitCodeFor(findings: Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.severity === 'critical')) return 2;
  if (findings.some((f) => f.severity === 'warning')) return 1;
  return 0;
}

export function summarize(findings: Finding[]): Record<Severity, number> {
  const summary: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}

/** One evidence row as `key=value …`, long values cut, empty values left out. */
export function evidenceLine(row: Record<string, unknown>, max = 160): string {
  return Object.entries(row)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${formatValue(v, max)}`)
    .join(' ');
}

function formatValue(value: unknown, max: number): string {
  const text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const flat = text.replace(/\s+/g, ' ');
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return /[\s"]/.test(cut) ? JSON.stringify(cut) : cut;
}

export function subjectText(f: Finding): string {
  const s = f.subject;
  const parts: string[] = [];
  if (s.database) parts.push(`db ${s.database}`);
  if (s.table) parts.push(s.schema ? `${s.schema}.${s.table}` : s.table);
  if (s.index) parts.push(`index ${s.index}`);
  if (s.pid !== undefined) parts.push(`pid ${s.pid}`);
  if (s.gid) parts.push(`gid '${s.gid}'`);
  if (s.slot) parts.push(`slot ${s.slot}`);
  if (s.standby) parts.push(`standby ${s.standby}`);
  if (s.setting) parts.push(s.setting);
  return parts.join(', ');
}

export function originText(f: Finding): string | undefined {
  const o = f.origin;
  if (!o) return undefined;
  return [o.origin, o.app && `app ${o.app}`, o.route && `route ${o.route}`, o.traceparent && `trace ${o.traceparent}`, o.process && `process ${o.process}`]
    .filter(Boolean)
    .join(', ');
}

/** The first frames of an opening stack, without the "Error" line. */
export function stackFrames(stack: string | undefined, max = 4): string[] {
  return (stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, max);
}
