import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.js';
import { findingOf, realFindings, unreachableFinding } from '../../../test/fixtures/finding-events.js';
import { ALERT_NAMES, alertOf, GENERIC_ALERT_NAME } from './alert-rules.js';

describe('alert rules', () => {
  it('name every check, and the forecast and reachability findings of serve', () => {
    for (const check of CHECKS) expect(ALERT_NAMES[check.id], check.id).toMatch(/^Mvcc[A-Z][A-Za-z]+$/);
    for (const id of ['target-unreachable', 'wraparound-eta', 'freezing-behind']) expect(ALERT_NAMES[id], id).toBeDefined();
    // Names are what receivers route on: two checks sharing one would merge their alerts.
    expect(new Set(Object.values(ALERT_NAMES)).size).toBe(Object.keys(ALERT_NAMES).length);
  });

  it('turn a critical finding into labels that identify it and annotations that explain it', () => {
    const finding = findingOf('xid-wraparound');
    expect(alertOf('prod', finding)).toEqual({
      labels: { alertname: 'MvccXidWraparound', cluster: 'prod', check: 'xid-wraparound', severity: 'critical', database: 'app' },
      annotations: {
        summary: finding.summary,
        description: finding.why,
        // The first remediation line is a `--` comment setting the scene; the fix is the first statement.
        fix: 'VACUUM (FREEZE, TRUNCATE false, VERBOSE) "public"."orders";',
      },
    });
  });

  it('put the application origin in annotations, never in labels', () => {
    const alert = alertOf('prod', findingOf('idle-in-transaction'))!;
    expect(alert.labels).toEqual({ alertname: 'MvccIdleInTransaction', cluster: 'prod', check: 'idle-in-transaction', severity: 'critical', database: 'app', pid: '4242' });
    expect(alert.annotations).toMatchObject({
      app: 'shop',
      origin: 'src/orders.ts:88 (POST /orders)',
      route: 'POST /orders',
      fix: 'SELECT pg_terminate_backend(4242);  -- ends the session; its transaction rolls back',
    });
  });

  it('label each subject field that is set, and only those', () => {
    expect(alertOf('prod', findingOf('dead-tuples'))!.labels).toEqual({
      alertname: 'MvccDeadTuples',
      cluster: 'prod',
      check: 'dead-tuples',
      severity: 'warning',
      database: 'app',
      schema: 'public',
      table: 'orders',
    });
    expect(alertOf('prod', findingOf('replication-slot'))!.labels).toMatchObject({ alertname: 'MvccReplicationSlot', severity: 'warning', slot: 's1' });
    expect(alertOf('prod', findingOf('replication-slot'))!.labels).not.toHaveProperty('database');
    expect(alertOf('prod', findingOf('autovacuum-disabled'))!.labels).toMatchObject({ alertname: 'MvccAutovacuumDisabled', setting: 'autovacuum' });
  });

  it('alert an unreachable target with the cluster alone as its subject', () => {
    expect(alertOf('prod', unreachableFinding('prod'))!.labels).toEqual({ alertname: 'MvccTargetUnreachable', cluster: 'prod', check: 'target-unreachable', severity: 'critical' });
  });

  it('stay silent on info findings', () => {
    const info = realFindings().filter((f) => f.severity === 'info');
    expect(info.map((f) => f.check)).toContain('deadlocks');
    for (const finding of info) expect(alertOf('prod', finding)).toBeUndefined();
  });

  it('give a check it does not know the generic name, keeping the check id as a label', () => {
    const finding = { ...findingOf('dead-tuples'), check: 'bloat-estimate', remediation: ['-- only a comment'] };
    const alert = alertOf('prod', finding)!;
    expect(alert.labels).toMatchObject({ alertname: GENERIC_ALERT_NAME, check: 'bloat-estimate' });
    // With no statement to run, the comment is still the best fix to show.
    expect(alert.annotations.fix).toBe('-- only a comment');
  });
});
