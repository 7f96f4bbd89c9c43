import { describe, expect, it } from 'vitest';
import { encodeMessage, goTime, groupKeyOf, supersede, webhookMessage, type AlertInstance, type Notification } from './webhook-payload.js';

const firing: AlertInstance = {
  fingerprint: 'aaaaaaaaaaaaaaaa',
  labels: { severity: 'critical', alertname: 'MvccDeadTuples', cluster: 'prod', check: 'dead-tuples', database: 'app', table: 'orders' },
  annotations: { summary: 'orders has 50,000 dead tuples', description: 'Dead rows take space.' },
  startsAt: Date.UTC(2026, 0, 5, 9, 2, 0),
  generatorURL: 'http://doctor:9187/?cluster=prod&finding=a',
};
const resolved: AlertInstance = {
  ...firing,
  fingerprint: 'bbbbbbbbbbbbbbbb',
  labels: { ...firing.labels, table: 'items' },
  annotations: { summary: 'items has 20,000 dead tuples', description: 'Dead rows take space.' },
  startsAt: Date.UTC(2026, 0, 5, 9, 0, 0, 250),
  endsAt: Date.UTC(2026, 0, 5, 9, 30, 0, 123),
};
const groupLabels = { alertname: 'MvccDeadTuples', cluster: 'prod' };

describe('webhook payload', () => {
  it('is Alertmanager\'s version 4 message, field for field', () => {
    const notification: Notification = { groupKey: groupKeyOf(groupLabels), groupLabels, alerts: [firing, resolved] };
    const message = webhookMessage(notification, 'http://doctor:9187');
    expect(message).toEqual({
      receiver: 'mvcc-doctor',
      status: 'firing',
      alerts: [
        // Sorted as Alertmanager sorts (LabelSet.Before): "items" < "orders".
        {
          status: 'resolved',
          labels: { alertname: 'MvccDeadTuples', check: 'dead-tuples', cluster: 'prod', database: 'app', severity: 'critical', table: 'items' },
          annotations: { description: 'Dead rows take space.', summary: 'items has 20,000 dead tuples' },
          startsAt: '2026-01-05T09:00:00.25Z',
          endsAt: '2026-01-05T09:30:00.123Z',
          generatorURL: 'http://doctor:9187/?cluster=prod&finding=a',
          fingerprint: 'bbbbbbbbbbbbbbbb',
        },
        {
          status: 'firing',
          labels: { alertname: 'MvccDeadTuples', check: 'dead-tuples', cluster: 'prod', database: 'app', severity: 'critical', table: 'orders' },
          annotations: { description: 'Dead rows take space.', summary: 'orders has 50,000 dead tuples' },
          startsAt: '2026-01-05T09:02:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://doctor:9187/?cluster=prod&finding=a',
          fingerprint: 'aaaaaaaaaaaaaaaa',
        },
      ],
      groupLabels: { alertname: 'MvccDeadTuples', cluster: 'prod' },
      commonLabels: { alertname: 'MvccDeadTuples', check: 'dead-tuples', cluster: 'prod', database: 'app', severity: 'critical' },
      commonAnnotations: { description: 'Dead rows take space.' },
      externalURL: 'http://doctor:9187',
      version: '4',
      groupKey: '{}:{alertname="MvccDeadTuples", cluster="prod"}',
      truncatedAlerts: 0,
    });
    // Go writes fields in struct order and map keys sorted.
    expect(Object.keys(message)).toEqual(['receiver', 'status', 'alerts', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'version', 'groupKey', 'truncatedAlerts']);
    expect(Object.keys(message.alerts[0]!.labels)).toEqual(['alertname', 'check', 'cluster', 'database', 'severity', 'table']);
  });

  it('is resolved when every alert is', () => {
    expect(webhookMessage({ groupKey: groupKeyOf(groupLabels), groupLabels, alerts: [resolved] }, 'http://doctor:9187').status).toBe('resolved');
  });

  it('writes times as Go does: RFC 3339, UTC, no trailing zeros in the fraction', () => {
    expect(goTime(Date.UTC(2026, 0, 5, 9, 0, 0, 0))).toBe('2026-01-05T09:00:00Z');
    expect(goTime(Date.UTC(2026, 0, 5, 9, 0, 0, 500))).toBe('2026-01-05T09:00:00.5Z');
    expect(goTime(Date.UTC(2026, 0, 5, 9, 0, 0, 7))).toBe('2026-01-05T09:00:00.007Z');
  });

  it('escapes <, > and & the way Go\'s encoder does, and ends with a newline', () => {
    const body = encodeMessage(webhookMessage({ groupKey: groupKeyOf(groupLabels), groupLabels, alerts: [{ ...firing, generatorURL: 'http://d/?a=1&b=<2>' }] }, 'http://doctor:9187'));
    expect(body).toContain('"generatorURL":"http://d/?a=1\\u0026b=\\u003c2\\u003e"');
    expect(body.endsWith('}\n')).toBe(true);
    expect(JSON.parse(body).alerts[0].generatorURL).toBe('http://d/?a=1&b=<2>');
  });

  it('keeps an older notification\'s resolutions when a newer one replaces it', () => {
    const older: Notification = { groupKey: 'g', groupLabels, alerts: [resolved] };
    const newer: Notification = { groupKey: 'g', groupLabels, alerts: [firing] };
    expect(supersede(older, newer).alerts).toEqual([firing, resolved]);
    // An alert the newer one carries is taken from the newer one only.
    expect(supersede({ ...older, alerts: [{ ...firing, endsAt: 1 }] }, newer).alerts).toEqual([firing]);
  });
});
