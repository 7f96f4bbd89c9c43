import { settingText } from '../collect/rows.js';
import { autovacuumEnabledFor, vacuumTrigger } from '../mvcc/autovacuum-trigger.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';

export default defineCheck({
  id: 'autovacuum-disabled',
  meta: {
    title: 'Autovacuum disabled',
    area: 'vacuum',
    why: 'Without autovacuum nothing removes dead tuples or freezes old rows unless someone runs VACUUM by hand; only the emergency anti-wraparound vacuum still runs, and then too late. Per-table autovacuum_enabled=false does the same to one table.',
    description: 'Reports autovacuum or track_counts turned off for the cluster, and tables with autovacuum_enabled=false (with their dead tuples against the trigger).',
    severities: { critical: 'autovacuum or track_counts is off for the cluster', warning: 'a table with autovacuum off is past its trigger', info: 'a table has autovacuum off' },
    settings: ['autovacuum', 'track_counts', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor'],
    remediation: 'Turn autovacuum (and track_counts) back on with ALTER SYSTEM; VACUUM the table and RESET its autovacuum_enabled.',
  },
  uses: ['settings', 'tables'],
  evaluate(snapshot) {
    const findings: FindingDraft[] = [];
    for (const name of ['autovacuum', 'track_counts'] as const) {
      if (settingText(snapshot.settings, name) !== 'off') continue;
      findings.push({
        severity: 'critical',
        subject: { setting: name },
        summary: name === 'autovacuum' ? 'Autovacuum is off for the whole cluster: dead tuples pile up and old rows are not frozen.' : 'track_counts is off: autovacuum cannot see which tables need it, so it does nothing.',
        evidence: [{ setting: name, value: 'off', source: snapshot.settings?.find((s) => s.name === name)?.source }],
        remediation: [`ALTER SYSTEM SET ${name} = on;`, 'SELECT pg_reload_conf();'],
      });
    }
    for (const [database, tables] of Object.entries(snapshot.tables)) {
      for (const t of tables) {
        if (autovacuumEnabledFor(t)) continue;
        const dead = t.dead_tuples ?? 0;
        const trigger = vacuumTrigger(t, snapshot.settings);
        const name = qualified(t.schema, t.name);
        findings.push({
          severity: dead > trigger ? 'warning' : 'info',
          subject: { database, schema: t.schema, table: t.name },
          summary: `Autovacuum is disabled on ${t.schema}.${t.name} in "${database}"${dead > trigger ? `, which has ${formatCount(dead)} dead tuples, ${(dead / Math.max(trigger, 1)).toFixed(1)}x its trigger of ${formatCount(trigger)}` : ''}.`,
          evidence: [{ table: `${t.schema}.${t.name}`, reloptions: t.reloptions, dead_tuples: dead, trigger: Math.round(trigger), last_vacuum: t.last_vacuum?.toISOString() ?? null, xid_age: t.xid_age }],
          remediation: [`VACUUM (VERBOSE) ${name};`, `ALTER TABLE ${name} RESET (autovacuum_enabled);`],
        });
      }
    }
    return findings;
  },
});
