import { Cluster, idleInTransaction, lockBlocking } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/finding.js';
import type { Report } from '../../src/report/report.js';
import { cli, vacuumCounted } from './run-check.js';

const FINDING_FIELDS = ['check', 'severity', 'subject', 'summary', 'evidence', 'why', 'remediation'];

/** The documented shape of every finding (docs/check-json.md). */
function expectSchema(report: Report): void {
  expect(Object.keys(report).sort()).toEqual(
    ['tool', 'schema_version', 'version', 'generated_at', 'target', 'server', 'databases_examined', 'xid_rate', 'xid_rate_basis', 'duration_ms', 'findings', 'skipped', 'summary', 'exit_code'].sort(),
  );
  for (const f of report.findings) {
    expect(Object.keys(f).filter((k) => k !== 'origin').sort()).toEqual([...FINDING_FIELDS].sort());
    expect(f.check).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(['critical', 'warning', 'info']).toContain(f.severity);
    expect(Object.keys(f.subject).length).toBeGreaterThan(0);
    expect(f.summary).toMatch(/\.$/);
    expect(f.evidence.length).toBeGreaterThan(0);
    for (const row of f.evidence) expect(typeof row).toBe('object');
    expect(f.why.split(/(?<=\.)\s+/).length).toBeLessThanOrEqual(2);
    expect(f.remediation.length).toBeGreaterThan(0);
    for (const step of f.remediation) expect(typeof step).toBe('string');
  }
  const count = (s: Finding['severity']) => report.findings.filter((f) => f.severity === s).length;
  expect(report.summary).toEqual({ critical: count('critical'), warning: count('warning'), info: count('info') });
  // Most severe first.
  const order = { critical: 0, warning: 1, info: 2 };
  const ranks = report.findings.map((f) => order[f.severity]);
  expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
}

describe('check output and exit codes (PostgreSQL 18)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'output' });
  });
  afterAll(() => cluster?.destroy());

  it('only warnings: exit 1, JSON as documented, a Markdown heading per finding', async () => {
    const fault = await idleInTransaction(cluster, { deadRows: 300, applicationName: 'checkout-service' });
    try {
      await vacuumCounted(cluster, fault.table, 300);
      const json = await cli(['check', cluster.connectionString(), '--json', '--sample', '0']);
      expect(json.stderr).toBe('');
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as Report;
      expectSchema(report);
      expect(report.exit_code).toBe(1);
      expect(report.summary.critical).toBe(0);
      expect(report.findings.map((f) => f.check)).toEqual(expect.arrayContaining(['xmin-horizon', 'idle-in-transaction']));

      const markdown = await cli(['check', cluster.connectionString(), '--markdown', '--sample', '0']);
      expect(markdown.code).toBe(1);
      const headings = markdown.stdout.split('\n').filter((l) => l.startsWith('## ') && l !== '## Skipped');
      expect(headings).toHaveLength(report.findings.length);
      expect(headings).toContain(`## WARNING \`idle-in-transaction\` — db postgres, pid ${fault.pid}`);
      expect(markdown.stdout).toContain(`SELECT pg_terminate_backend(${fault.pid});`);

      const terminal = await cli(['check', cluster.connectionString(), '--sample', '0']);
      expect(terminal.code).toBe(1);
      expect(terminal.stdout).toMatch(new RegExp(`^WARNING  idle-in-transaction  db postgres, pid ${fault.pid}$`, 'm'));
    } finally {
      await fault.release();
    }
  });

  it('a critical finding: exit 2, in JSON, Markdown and terminal alike', async () => {
    const fault = await lockBlocking(cluster, { readers: 2 });
    try {
      const json = await cli(['check', cluster.connectionString(), '--json', '--sample', '0']);
      expect(json.code).toBe(2);
      const report = JSON.parse(json.stdout) as Report;
      expectSchema(report);
      expect(report.exit_code).toBe(2);
      expect(report.findings[0]).toMatchObject({ check: 'lock-blocking', severity: 'critical' });

      const markdown = await cli(['check', cluster.connectionString(), '--markdown', '--sample', '0']);
      expect(markdown.code).toBe(2);
      expect(markdown.stdout).toContain(`## CRITICAL \`lock-blocking\` — db postgres, pid ${fault.holderPid}`);
      expect((await cli(['check', cluster.connectionString(), '--sample', '0'])).code).toBe(2);
    } finally {
      await fault.release();
    }
  });
});
