import { settingNumber, settingText } from '../collect/rows.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';

export default defineCheck({
  id: 'vacuum-settings',
  meta: {
    title: 'Vacuum and freezing settings',
    area: 'settings',
    why: 'Autovacuum can only keep up if it has enough workers and I/O budget for the tables it must visit, and freezing only protects you if it starts well before the wraparound limits.',
    description: 'Reviews the server\'s own settings (not the session\'s) for freezing that starts too late, throttled autovacuum, too few workers for the table count, and idle transactions that never time out while prepared transactions are on.',
    severities: { warning: 'autovacuum_freeze_max_age above 1 billion, or autovacuum_vacuum_cost_delay above 10 ms', info: 'failsafe below the freeze age, few workers for many tables, no idle-in-transaction timeout with prepared transactions on' },
    settings: ['autovacuum_freeze_max_age', 'vacuum_failsafe_age', 'autovacuum_vacuum_cost_delay', 'autovacuum_max_workers', 'max_prepared_transactions', 'idle_in_transaction_session_timeout'],
    remediation: 'ALTER SYSTEM the setting named in the finding to the value it suggests, and reload (or restart where noted).',
  },
  uses: ['settings'],
  evaluate(snapshot) {
    const s = snapshot.settings;
    const findings: FindingDraft[] = [];
    const add = (severity: FindingDraft['severity'], setting: string, summary: string, remediation: string[]) =>
      findings.push({ severity, subject: { setting }, summary, evidence: [{ setting, value: settingText(s, setting), source: s?.find((x) => x.name === setting)?.source }], remediation });

    const freezeMax = settingNumber(s, 'autovacuum_freeze_max_age', 200_000_000);
    if (freezeMax > 1_000_000_000) {
      add('warning', 'autovacuum_freeze_max_age', `autovacuum_freeze_max_age is ${formatCount(freezeMax)}: anti-wraparound vacuums start late, with little room before the ${formatCount(2_107_483_647)} warning limit.`, [
        "ALTER SYSTEM SET autovacuum_freeze_max_age = '400000000';  -- needs a restart",
      ]);
    }
    const failsafe = settingNumber(s, 'vacuum_failsafe_age', -1);
    if (failsafe > 0 && failsafe < freezeMax) {
      add('info', 'vacuum_failsafe_age', `vacuum_failsafe_age (${formatCount(failsafe)}) is below autovacuum_freeze_max_age; PostgreSQL silently uses 105% of the latter.`, [
        "ALTER SYSTEM SET vacuum_failsafe_age = '1600000000'; SELECT pg_reload_conf();",
      ]);
    }
    const delay = settingNumber(s, 'autovacuum_vacuum_cost_delay', 2);
    if (delay > 10) {
      add('warning', 'autovacuum_vacuum_cost_delay', `autovacuum_vacuum_cost_delay is ${delay}ms: autovacuum sleeps most of the time and falls behind on busy tables.`, [
        "ALTER SYSTEM SET autovacuum_vacuum_cost_delay = '2ms'; SELECT pg_reload_conf();",
      ]);
    }
    const workers = settingNumber(s, 'autovacuum_max_workers', 3);
    const tables = Math.max(0, ...Object.values(snapshot.tables).map((rows) => rows[0]?.total_tables ?? 0));
    if (tables > 5_000 * workers) {
      add('info', 'autovacuum_max_workers', `${workers} autovacuum workers for a database of ${formatCount(tables)} tables: each worker's pass takes long, and big tables wait.`, [
        "ALTER SYSTEM SET autovacuum_max_workers = 6;  -- restart (before 18); raise autovacuum_vacuum_cost_limit with it, the budget is shared",
      ]);
    }
    if (settingNumber(s, 'max_prepared_transactions', 0) > 0 && settingNumber(s, 'idle_in_transaction_session_timeout', 0) === 0) {
      add('info', 'idle_in_transaction_session_timeout', 'Prepared transactions are enabled and idle transactions never time out: a leaked or orphaned transaction can hold the horizon for days.', [
        "ALTER SYSTEM SET idle_in_transaction_session_timeout = '10min'; SELECT pg_reload_conf();",
      ]);
    }
    return findings;
  },
});
