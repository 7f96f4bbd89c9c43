import { METRICS } from '../monitor/metric-catalog.js';
import type { ClusterStatus } from '../monitor/monitor.js';

/** The Prometheus text exposition (format 0.0.4) of every cluster's latest samples, grouped by metric. */
export function metricsText(clusters: ClusterStatus[]): string {
  const lines: string[] = [];
  for (const metric of METRICS) {
    const rows: string[] = [];
    for (const c of clusters) {
      for (const s of c.samples) {
        if (s.metric === metric.name) rows.push(`${metric.name}{${labelText({ cluster: c.name, ...s.labels })}} ${valueText(s.value)}`);
      }
    }
    if (rows.length === 0) continue;
    lines.push(`# HELP ${metric.name} ${metric.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${metric.name} ${metric.type}`, ...rows);
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}
