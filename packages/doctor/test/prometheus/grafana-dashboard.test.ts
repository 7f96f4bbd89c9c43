import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_BY_NAME, METRICS } from '../../src/monitor/metric-catalog.js';

// The shipped Grafana dashboard: every query is valid PromQL (promtool parses it as a recording rule), names only
// metrics /metrics serves, and every metric the daemon records has a panel.

interface Panel {
  title: string;
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '../../grafana/mvcc-doctor.json'), 'utf8')) as { panels: Panel[]; templating: { list: { name: string }[] } };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));

describe('the Grafana dashboard', () => {
  it('has a cluster variable and queries only metrics the daemon serves', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'cluster']);
    for (const { panel, expr } of exprs) {
      const names = expr.match(/\bmvcc_[a-z_]+\b/g) ?? [];
      expect(names.length, panel).toBeGreaterThan(0);
      for (const name of names) expect(METRIC_BY_NAME.has(name), `${panel}: ${name}`).toBe(true);
      expect(expr, panel).toContain('cluster="$cluster"');
    }
  });

  it('shows every recorded metric somewhere (but the observation duration)', () => {
    const used = new Set(exprs.flatMap(({ expr }) => expr.match(/\bmvcc_[a-z_]+\b/g) ?? []));
    const missing = METRICS.map((m) => m.name).filter((name) => !used.has(name) && name !== 'mvcc_observation_duration_seconds' && name !== 'mvcc_replication_slot_active');
    expect(missing).toEqual([]);
  });

  it('is valid PromQL: promtool parses each query', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mvcc-grafana-'));
    try {
      const rules = exprs.map(({ expr }, i) => `      - record: grafana_panel_query_${i}\n        expr: ${JSON.stringify(expr.replaceAll('$cluster', 'x'))}`).join('\n');
      writeFileSync(join(dir, 'queries.yml'), `groups:\n  - name: grafana\n    rules:\n${rules}\n`);
      expect(execFileSync('promtool', ['check', 'rules', 'queries.yml'], { cwd: dir, encoding: 'utf8' })).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
