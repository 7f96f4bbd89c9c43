import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import type { Report } from '../../src/report/report.js';
import { cli, NO_PG_STAT_STATEMENTS } from './run-check.js';

describe.each([18, 15, 14])('a healthy PostgreSQL %i cluster', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    // Healthy includes the configuration: two-phase commit is on (lab default), so idle transactions time out.
    cluster = await Cluster.create({ major, label: `healthy${major}`, settings: { idle_in_transaction_session_timeout: '10min' } });
  });
  afterAll(() => cluster?.destroy());

  it('every check stays silent, nothing is skipped but the absent pg_stat_statements, exit 0', async () => {
    const { code, stdout, stderr } = await cli(['check', cluster.connectionString(), '--json', '--sample', '200ms']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.findings).toEqual([]);
    // Only the optional extension the lab does not load is skipped, and it says what to do.
    expect(report.skipped).toEqual([NO_PG_STAT_STATEMENTS]);
    expect(report).toMatchObject({
      tool: 'mvcc-doctor',
      schema_version: 1,
      exit_code: 0,
      summary: { critical: 0, warning: 0, info: 0 },
      target: { host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' },
      server: { version_num: expect.any(Number), in_recovery: false, role: 'postgres', superuser: true },
      databases_examined: ['postgres', 'template1'],
      xid_rate: { xidsPerSecond: expect.any(Number), sampleSeconds: expect.any(Number) },
      xid_rate_basis: expect.stringMatching(/ s sample/),
    });
    expect(Math.floor(report.server.version_num / 10000)).toBe(major);
    expect(CHECKS).toHaveLength(21);
  });

  it('the terminal and Markdown reports say so', async () => {
    const terminal = await cli(['check', cluster.connectionString(), '--sample', '0']);
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toContain('No MVCC problems found.');
    expect(terminal.stdout).toMatch(/0 critical, 0 warning, 0 info — exit 0\n$/);
    expect(terminal.stdout).not.toContain("\u001b["); // no colours off a TTY

    const markdown = await cli(['check', cluster.connectionString(), '--markdown', '--sample', '0']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(new RegExp(`^# mvcc-doctor check: PostgreSQL ${major}\\.\\d+[^\\n]* at 127\\.0\\.0\\.1:${cluster.port}\n`));
    expect(markdown.stdout).toContain('0 critical, 0 warning, 0 info; 2 database(s) examined.');
    // No finding heading; the one section is what was skipped (pg_stat_statements is not loaded in the lab).
    expect(markdown.stdout.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Skipped']);
  });
});
