import type { BloatRow } from '../collect/bloat-dataset.js';
import { storedColumns } from '../collect/bloat-dataset.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft, Severity } from '../engine/finding.js';
import type { Thresholds } from '../engine/thresholds.js';
import { estimateBloat, fillfactorOf } from '../mvcc/bloat-estimate.js';
import { formatBytes, formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';

export default defineCheck({
  id: 'bloat',
  meta: {
    title: 'Table and index bloat (wasted bytes)',
    area: 'vacuum',
    why: 'VACUUM makes the space of dead rows reusable inside the file but gives it back to the operating system only from the end of a table, so a mass UPDATE or DELETE, or dead tuples kept by the horizon, leave tables and indexes larger than their live rows need. Every scan, cache and backup then reads the empty space too.',
    description:
      'Estimates the bytes each table and B-tree index of 1 MB or more wastes: its size on disk against the size its live rows would take, packed at its fillfactor, from the column widths in pg_stats and the live-tuple counter (no extension needed; see docs/bloat.md for how close it comes). When the pgstattuple extension is installed in the database, the ten most wasteful tables are measured with pgstattuple_approx and the ten most wasteful indexes with pgstatindex, and the measurement replaces the estimate. A relation is reported only when it wastes both the bytes and the percent of a threshold.',
    severities: {
      critical: 'wastes at least bloatCriticalBytes (1 GB) and bloatCriticalPercent (50 %) of its size',
      warning: 'wastes at least bloatWarningBytes (100 MB) and bloatWarningPercent (30 %) of its size',
    },
    thresholds: ['bloatWarningBytes', 'bloatWarningPercent', 'bloatCriticalBytes', 'bloatCriticalPercent'],
    remediation:
      'A table: VACUUM it (releasing any horizon holder first) so the space is reused, and to give the space back rewrite it with pg_repack (online) or VACUUM FULL (an ACCESS EXCLUSIVE lock for the whole rewrite). An index: REINDEX INDEX CONCURRENTLY.',
  },
  uses: ['bloat'],
  evaluate(snapshot, { thresholds }) {
    const findings: FindingDraft[] = [];
    for (const [database, rows] of Object.entries(snapshot.bloat ?? {})) {
      for (const row of rows) {
        const waste = wasteOf(row);
        if (!waste) continue;
        const severity = severityOf(waste.bytes, waste.percent, thresholds);
        if (!severity) continue;
        findings.push(finding(database, row, waste, severity));
      }
    }
    // The biggest waste first within a severity (reports sort by severity, stably).
    return findings.sort((a, b) => Number(b.evidence[0]!.wasted_bytes) - Number(a.evidence[0]!.wasted_bytes));
  },
});

interface Waste {
  bytes: number;
  percent: number;
  method: 'estimate' | 'pgstattuple_approx' | 'pgstatindex';
  estimate?: number;
}

/** The measurement when there is one, else the estimate; undefined when neither is known. */
function wasteOf(row: BloatRow): Waste | undefined {
  const estimate = estimateBloat({ kind: row.kind, bytes: row.bytes, blockSize: row.block_size, tuples: row.tuples, fillfactor: fillfactorOf(row.reloptions, row.kind), columns: storedColumns(row) });
  const exact = row.exact?.wasted_bytes;
  if (exact !== undefined && row.exact) {
    return { bytes: exact, percent: (100 * exact) / Math.max(row.bytes, 1), method: row.exact.source, estimate: estimate?.wastedBytes };
  }
  if (!estimate) return undefined;
  return { bytes: estimate.wastedBytes, percent: estimate.wastedPercent, method: 'estimate' };
}

function severityOf(bytes: number, percent: number, t: Thresholds): Severity | undefined {
  if (bytes >= t.bloatCriticalBytes && percent >= t.bloatCriticalPercent) return 'critical';
  if (bytes >= t.bloatWarningBytes && percent >= t.bloatWarningPercent) return 'warning';
  return undefined;
}

function finding(database: string, row: BloatRow, waste: Waste, severity: Severity): FindingDraft {
  const name = qualified(row.schema, row.name);
  const how = waste.method === 'estimate' ? 'estimated from the statistics' : `measured with ${waste.method}`;
  const what = row.kind === 'table' ? `Table ${row.schema}.${row.name}` : `Index ${row.schema}.${row.name} (on ${row.table})`;
  const evidence: Record<string, unknown> = {
    relation: `${row.schema}.${row.name}`,
    kind: row.kind,
    size_bytes: row.bytes,
    wasted_bytes: Math.round(waste.bytes),
    wasted_percent: Number(waste.percent.toFixed(1)),
    method: waste.method,
    estimated_wasted_bytes: waste.method === 'estimate' ? undefined : waste.estimate !== undefined ? Math.round(waste.estimate) : null,
    live_tuples: Math.round(row.tuples),
    dead_tuples: row.kind === 'table' ? row.dead_tuples : undefined,
    fillfactor: fillfactorOf(row.reloptions, row.kind),
    dead_tuple_bytes: row.exact?.dead_tuple_bytes,
    free_bytes: row.exact?.free_bytes,
    avg_leaf_density: row.exact?.avg_leaf_density,
    exact_error: row.exact?.error,
  };
  for (const key of Object.keys(evidence)) if (evidence[key] === undefined) delete evidence[key];
  return {
    severity,
    subject: row.kind === 'table' ? { database, schema: row.schema, table: row.name } : { database, schema: row.schema, table: row.table, index: row.name },
    summary: `${what} in "${database}" wastes ${formatBytes(waste.bytes)} of its ${formatBytes(row.bytes)} (${Math.round(waste.percent)}%), ${how}.`,
    evidence: [evidence],
    remediation: row.kind === 'table' ? tableSteps(name, row) : [`REINDEX INDEX CONCURRENTLY ${name};  -- builds a packed copy, then swaps it in; no long lock`],
  };
}

function tableSteps(name: string, row: BloatRow): string[] {
  const steps: string[] = [];
  if ((row.dead_tuples ?? 0) > 0) {
    steps.push(`VACUUM (VERBOSE) ${name};  -- ${formatCount(row.dead_tuples ?? 0)} dead tuples: their space becomes reusable (if a horizon holder keeps them, release it first: see xmin-horizon)`);
  }
  steps.push(
    `-- give the space back without blocking reads and writes: pg_repack --table=${name} (the pg_repack extension)`,
    `VACUUM (FULL, VERBOSE) ${name};  -- last resort: ACCESS EXCLUSIVE lock for the whole rewrite, and free disk for a full copy`,
  );
  return steps;
}
