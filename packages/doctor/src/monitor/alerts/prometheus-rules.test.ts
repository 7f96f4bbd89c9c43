import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_BY_NAME } from '../metric-catalog.js';
import { ALERT_NAMES } from './alert-rules.js';

// The Prometheus rules file must speak the names /metrics serves and the alert names the daemon sends.

const DIR = join(import.meta.dirname, '../../../prometheus');
const rules = readFileSync(join(DIR, 'mvcc-doctor.rules.yml'), 'utf8');
const tests = readFileSync(join(DIR, 'mvcc-doctor.rules.test.yml'), 'utf8');
const metricsIn = (text: string) => new Set(text.match(/\bmvcc_[a-z0-9_]*[a-z0-9]\b/g));
const alertsIn = (text: string) => new Set([...text.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!));

describe('prometheus rules file', () => {
  it('uses only metric names of the catalog, in its rules and in its tests', () => {
    expect(metricsIn(rules).size).toBeGreaterThan(15);
    for (const name of [...metricsIn(rules), ...metricsIn(tests)]) expect(METRIC_BY_NAME.has(name), name).toBe(true);
  });

  it('names its alerts as the daemon does (plus the catch-all for checks without a series)', () => {
    const daemon = new Set(Object.values(ALERT_NAMES));
    for (const name of alertsIn(rules)) expect(daemon.has(name) || name === 'MvccCriticalFindings', name).toBe(true);
  });

  it('has a silent and a firing case for every alert in its tests', () => {
    for (const name of alertsIn(rules)) {
      const cases = [...tests.matchAll(new RegExp(`alertname: ${name}\\n\\s+exp_alerts:( \\[\\])?`, 'g'))];
      expect(cases.some((c) => c[1] !== undefined), `${name}: silent case`).toBe(true);
      expect(cases.some((c) => c[1] === undefined), `${name}: firing case`).toBe(true);
    }
  });

  it('gives every rule a for:, a severity and the three annotations', () => {
    const blocks = rules.split(/^\s*- alert: /m).slice(1);
    expect(blocks).toHaveLength(rules.match(/^\s*- alert: /gm)!.length);
    for (const block of blocks) {
      const name = block.split('\n')[0];
      for (const field of [/\n\s+for: \d+[smh]\n/, /\n\s+severity: (critical|warning)\n/, /\n\s+summary: /, /\n\s+description: /, /\n\s+fix: /]) {
        expect(block, `${name} ${field}`).toMatch(field);
      }
    }
  });
});
