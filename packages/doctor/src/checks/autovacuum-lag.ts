import { settingNumber } from '../collect/rows.js';
import { autovacuumEnabledFor, autovacuumGloballyOn, vacuumTrigger } from '../mvcc/autovacuum-trigger.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount, formatDuration } from '../report/format.js';
import { qualified } from '../report/sql-text.js';

export default defineCheck({
  id: 'autovacuum-lag',
  meta: {
    title: 'Tables past their autovacuum trigger',
    area: 'vacuum',
    why: 'Autovacuum vacuums a table once its dead tuples pass threshold + scale_factor × reltuples. A table far past it means the workers are busy elsewhere, throttled by cost limits, or cannot get the table lock.',
    description: 'Reports tables past their autovacuum trigger (threshold + scale_factor x reltuples, per-table options included) that autovacuum has not processed for three naptimes and is not vacuuming now. Silent when autovacuum is off (autovacuum-disabled reports that).',
    severities: { warning: 'dead tuples more than twice the trigger', info: 'past the trigger' },
    settings: ['autovacuum', 'track_counts', 'autovacuum_naptime', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor'],
    remediation: 'VACUUM the table by hand now, then look at worker saturation and cost limits; give a hot table its own scale factor and cost delay.',
  },
  uses: ['tables', 'settings', 'vacuumProgress'],
  evaluate(snapshot) {
    if (!autovacuumGloballyOn(snapshot.settings)) return [];
    const naptime = settingNumber(snapshot.settings, 'autovacuum_naptime', 60);
    const running = new Set((snapshot.vacuumProgress ?? []).map((v) => `${v.datname}:${v.relation}`));
    const findings: FindingDraft[] = [];
    for (const [database, tables] of Object.entries(snapshot.tables)) {
      for (const t of tables) {
        if (!autovacuumEnabledFor(t) || t.persistence === 't') continue;
        const dead = t.dead_tuples ?? 0;
        const trigger = vacuumTrigger(t, snapshot.settings);
        // Never vacuumed: autovacuum has had at most the server's uptime to come (a fresh start is not lag).
        const last = t.last_autovacuum ? (snapshot.server.at * 1000 - t.last_autovacuum.getTime()) / 1000 : snapshot.server.uptime_seconds ?? Infinity;
        // Just past the trigger is normal until the next naptime; report tables left there for a few rounds.
        if (dead <= trigger || last < 3 * naptime || running.has(`${database}:${t.schema}.${t.name}`) || running.has(`${database}:${t.name}`)) continue;
        findings.push({
          severity: dead > 2 * trigger ? 'warning' : 'info',
          subject: { database, schema: t.schema, table: t.name },
          summary: `${t.schema}.${t.name} in "${database}" has ${formatCount(dead)} dead tuples, past its autovacuum trigger of ${formatCount(trigger)}, and autovacuum has not processed it (last: ${t.last_autovacuum ? `${formatDuration(last)} ago` : 'never'}).`,
          evidence: [{ table: `${t.schema}.${t.name}`, dead_tuples: dead, trigger: Math.round(trigger), reltuples: t.reltuples, last_autovacuum: t.last_autovacuum?.toISOString() ?? null, reloptions: t.reloptions }],
          remediation: [
            `VACUUM (VERBOSE) ${qualified(t.schema, t.name)};  -- now, by hand`,
            `-- then look at worker saturation (vacuum-running) and cost limits (vacuum-settings); for a hot table:`,
            `ALTER TABLE ${qualified(t.schema, t.name)} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);`,
          ],
        });
      }
    }
    return findings;
  },
});
