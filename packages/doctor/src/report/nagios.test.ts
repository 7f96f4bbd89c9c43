import { describe, expect, it } from 'vitest';
import type { Finding } from '../engine/finding.js';
import { perfdataText, renderNagios, renderNagiosUnknown } from './nagios.js';
import type { Report } from './report.js';
import { exitCodeFor, summarize } from './report.js';

function report(findings: Partial<Finding>[]): Report {
  const full = findings.map((f) => ({ check: 'x', severity: 'info', subject: {}, summary: 's', evidence: [], why: '', remediation: [], ...f }) as Finding);
  return {
    tool: 'mvcc-doctor', schema_version: 1, version: '0', generated_at: '', target: { host: 'h', port: 5432, user: 'u', database: 'd' },
    server: { version: '18.0', version_num: 180000, in_recovery: false, role: 'u', superuser: false },
    databases_examined: ['app', 'postgres'], xid_rate: null, xid_rate_basis: 'not sampled', duration_ms: 1, findings: full, skipped: [], summary: summarize(full), exit_code: exitCodeFor(full),
  };
}

describe('renderNagios', () => {
  it('OK names how much was examined; info findings are counted, not alarms', () => {
    expect(renderNagios(report([]), [{ label: 'lock_waiters', value: 0, min: 0 }])).toBe("MVCC OK - no MVCC problems in 2 database(s) | 'lock_waiters'=0;;;0\n");
    expect(renderNagios(report([{ severity: 'info' }]), [])).toBe('MVCC OK - no MVCC problems in 2 database(s), 1 info\n');
  });

  it('the state follows the exit code and the worst finding comes first, then the other checks once each', () => {
    const line = renderNagios(
      report([
        { check: 'xid-wraparound', severity: 'critical', subject: { database: 'app' }, summary: 'Database "app" is 1,700,000,000 XIDs old.' },
        { check: 'idle-in-transaction', severity: 'warning', subject: { pid: 42 } },
        { check: 'idle-in-transaction', severity: 'warning', subject: { pid: 43 } },
      ]),
      [{ label: 'xid_age_app', value: 1_700_000_000, warn: 200_000_000, crit: 1_600_000_000, min: 0, max: 2 ** 31 - 1 }],
    );
    expect(line).toBe(
      "MVCC CRITICAL - 1 critical, 2 warning: xid-wraparound (db app): Database \"app\" is 1,700,000,000 XIDs old. Also: idle-in-transaction. | 'xid_age_app'=1700000000;200000000;1600000000;0;2147483647\n",
    );
  });

  it('the text never holds a pipe or a line break, and a long one is cut; perfdata never is', () => {
    const line = renderNagios(report([{ severity: 'warning', summary: `a | b\nc ${'x'.repeat(400)}` }]), [{ label: 'v', value: 1 }]);
    expect(line.split('\n')).toHaveLength(2);
    expect(line.split(' | ')).toHaveLength(2);
    expect(line.split(' | ')[0]!.length).toBeLessThanOrEqual('MVCC WARNING - '.length + 300);
    expect(line).toMatch(/… \| 'v'=1\n$/);
  });

  it('labels are quoted with quotes doubled, "=" replaced; units and decimals as plugins write them', () => {
    expect(perfdataText([{ label: "it's=odd db", value: 1.23456, uom: 's', warn: 600 }])).toBe("'it''s_odd db'=1.235s;600");
  });

  it('UNKNOWN is one line without perfdata', () => {
    expect(renderNagiosUnknown('cannot connect | to\nhost')).toBe('MVCC UNKNOWN - cannot connect / to host\n');
  });
});
