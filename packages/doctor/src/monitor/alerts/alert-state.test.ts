import { describe, expect, it } from 'vitest';
import { eventOf, findingOf, unreachableFinding } from '../../../test/fixtures/finding-events.js';
import { createAlertState } from './alert-state.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const options = { alertForMs: 2 * MIN, repeatIntervalMs: 4 * 60 * MIN, externalUrl: 'http://doctor.internal:9187' };

const wraparound = eventOf('prod', findingOf('xid-wraparound'), T0);
const idle = eventOf('prod', findingOf('idle-in-transaction'), T0);
const slot = eventOf('prod', findingOf('replication-slot'), T0);

describe('alert state', () => {
  it('fires only once the finding has been open for alertFor, at openedAt + alertFor', () => {
    const state = createAlertState(options);
    expect(state.update('prod', [wraparound], T0)).toEqual({ records: [], notifications: [] });
    expect(state.update('prod', [wraparound], T0 + 2 * MIN - 1)).toEqual({ records: [], notifications: [] });
    expect(state.active()).toEqual([]);

    const { records, notifications } = state.update('prod', [wraparound], T0 + 2 * MIN + 5000);
    expect(records).toEqual([
      expect.objectContaining({ cluster: 'prod', name: 'MvccXidWraparound', status: 'firing', startsAt: T0 + 2 * MIN, at: T0 + 2 * MIN + 5000 }),
    ]);
    expect(records[0]).not.toHaveProperty('endsAt');
    expect(notifications).toEqual([
      {
        groupKey: '{}:{alertname="MvccXidWraparound", cluster="prod"}',
        groupLabels: { alertname: 'MvccXidWraparound', cluster: 'prod' },
        alerts: [
          {
            fingerprint: records[0]!.fingerprint,
            labels: { alertname: 'MvccXidWraparound', cluster: 'prod', check: 'xid-wraparound', severity: 'critical', database: 'app' },
            annotations: records[0]!.annotations,
            startsAt: T0 + 2 * MIN,
            generatorURL: `http://doctor.internal:9187/#/cluster/prod?finding=${encodeURIComponent(wraparound.key)}`,
          },
        ],
      },
    ]);
    expect(state.active()).toEqual([records[0]]);
  });

  it('never notifies an unchanged state twice, and repeats firing alerts every repeatInterval', () => {
    const state = createAlertState(options);
    expect(state.update('prod', [wraparound], T0 + 3 * MIN).notifications).toHaveLength(1);
    for (let t = T0 + 4 * MIN; t < T0 + 3 * MIN + options.repeatIntervalMs; t += 30 * MIN) {
      expect(state.update('prod', [wraparound], t)).toEqual({ records: [], notifications: [] });
    }
    const repeat = state.update('prod', [wraparound], T0 + 3 * MIN + options.repeatIntervalMs);
    // A repeat is a notification, not a state change: nothing new for the history.
    expect(repeat.records).toEqual([]);
    expect(repeat.notifications).toHaveLength(1);
    expect(repeat.notifications[0]!.alerts[0]).toMatchObject({ startsAt: T0 + 2 * MIN });
    expect(state.update('prod', [wraparound], T0 + 4 * MIN + options.repeatIntervalMs).notifications).toEqual([]);
  });

  it('resolves when the finding closes, with endsAt now, and forgets the alert', () => {
    const state = createAlertState(options);
    const fired = state.update('prod', [wraparound, idle], T0 + 3 * MIN);
    expect(fired.notifications.map((n) => n.groupLabels.alertname).sort()).toEqual(['MvccIdleInTransaction', 'MvccXidWraparound']);

    const { records, notifications } = state.update('prod', [wraparound], T0 + 10 * MIN);
    expect(records).toEqual([expect.objectContaining({ name: 'MvccIdleInTransaction', status: 'resolved', startsAt: T0 + 2 * MIN, endsAt: T0 + 10 * MIN, at: T0 + 10 * MIN })]);
    // Only the group that changed is notified.
    expect(notifications).toEqual([expect.objectContaining({ groupLabels: { alertname: 'MvccIdleInTransaction', cluster: 'prod' }, alerts: [expect.objectContaining({ endsAt: T0 + 10 * MIN })] })]);
    expect(state.active().map((a) => a.name)).toEqual(['MvccXidWraparound']);
    expect(state.update('prod', [wraparound], T0 + 11 * MIN)).toEqual({ records: [], notifications: [] });
  });

  it('sends nothing for a finding that closes before alertFor, or for info findings', () => {
    const state = createAlertState(options);
    const deadlocks = eventOf('prod', findingOf('deadlocks'), T0 - 60 * MIN);
    expect(deadlocks.severity).toBe('info');
    state.update('prod', [wraparound, deadlocks], T0 + MIN);
    expect(state.update('prod', [deadlocks], T0 + 5 * MIN)).toEqual({ records: [], notifications: [] });
    expect(state.active()).toEqual([]);
  });

  it('notifies a group with all its firing alerts when one more fires, and keeps clusters apart', () => {
    const state = createAlertState(options);
    const other = eventOf('prod', { ...findingOf('xid-wraparound'), subject: { database: 'billing' } }, T0 + 10 * MIN);
    const staging = eventOf('staging', findingOf('xid-wraparound'), T0);
    state.update('prod', [wraparound, other], T0 + 3 * MIN);
    state.update('staging', [staging], T0 + 3 * MIN);
    const { notifications } = state.update('prod', [wraparound, other], T0 + 12 * MIN);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.alerts.map((a) => a.labels.database).sort()).toEqual(['app', 'billing']);
    // The staging alert is untouched by prod's updates, even an empty one.
    state.update('prod', [], T0 + 13 * MIN);
    expect(state.active().map((a) => `${a.cluster}/${a.labels.database}`)).toEqual(['staging/app']);
  });

  it('replaces the alert of a finding whose severity changes: the old one resolves, the new one fires now', () => {
    const state = createAlertState(options);
    state.update('prod', [slot], T0 + 3 * MIN);
    const critical = { ...slot, severity: 'critical' as const, finding: { ...slot.finding, severity: 'critical' as const } };
    const { records, notifications } = state.update('prod', [critical], T0 + 20 * MIN);
    expect(records.map((r) => [r.status, r.labels.severity, r.startsAt])).toEqual([
      ['resolved', 'warning', T0 + 2 * MIN],
      ['firing', 'critical', T0 + 20 * MIN],
    ]);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.alerts.map((a) => [a.labels.severity, a.endsAt])).toEqual([
      ['critical', undefined],
      ['warning', T0 + 20 * MIN],
    ]);
  });

  it('sends the latest annotations with a repeat, without treating a new summary as a change', () => {
    const state = createAlertState(options);
    state.update('prod', [wraparound], T0 + 3 * MIN);
    const older = { ...wraparound, finding: { ...wraparound.finding, summary: 'Database "app" is 1,800,000,000 XIDs old.' } };
    expect(state.update('prod', [older], T0 + 10 * MIN).notifications).toEqual([]);
    const repeat = state.update('prod', [older], T0 + 3 * MIN + options.repeatIntervalMs);
    expect(repeat.notifications[0]!.alerts[0]!.annotations.summary).toBe('Database "app" is 1,800,000,000 XIDs old.');
  });

  it('alerts an unreachable target like any finding', () => {
    const state = createAlertState(options);
    const down = eventOf('prod', unreachableFinding('prod'), T0);
    expect(state.update('prod', [down], T0 + 2 * MIN).records).toEqual([expect.objectContaining({ name: 'MvccTargetUnreachable', labels: { alertname: 'MvccTargetUnreachable', cluster: 'prod', check: 'target-unreachable', severity: 'critical' } })]);
  });
});
