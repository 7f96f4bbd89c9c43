import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { qualified } from '../report/sql-text.js';
import { schemaFilter } from './catalog-scope.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification, type VerifyContext, type VerifyOutcome } from './verification.js';

/** Every user trigger in scope (RI triggers are fk-triggers-disabled's); those that do not fire are kept. */
const TRIGGERS_SQL = `
SELECT n.nspname::text AS schema, c.relname::text AS table, t.tgname::text AS trigger, t.tgenabled::text AS enabled,
       pg_get_triggerdef(t.oid) AS definition
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND ${schemaFilter('n.nspname', '$1')}
 ORDER BY 1, 2, 3`;

/** session_replication_role = replica set for a role or a database: every such session skips every ordinary trigger, RI included. */
const SETTINGS_SQL = `
SELECT coalesce(r.rolname::text, '') AS role, coalesce(d.datname::text, '') AS database, cfg AS setting
  FROM pg_db_role_setting s
  LEFT JOIN pg_roles r ON r.oid = s.setrole
  LEFT JOIN pg_database d ON d.oid = s.setdatabase
  CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
 WHERE cfg ~* '^session_replication_role=(replica|local)$' AND (s.setdatabase = 0 OR d.datname = current_database())
 ORDER BY 1, 2`;

const MEANING = { D: 'disabled', R: 'fires only under session_replication_role = replica' } as const;

export const triggersDisabled: Verification = {
  id: 'triggers-disabled',
  unit: 'triggers',
  async run(ctx) {
    const outcome = emptyOutcome();
    await userTriggers(ctx, outcome);
    await replicaSettings(ctx, outcome);
    return outcome;
  },
};

async function userTriggers(ctx: VerifyContext, outcome: VerifyOutcome): Promise<void> {
  type Row = { schema: string; table: string; trigger: string; enabled: string; definition: string };
  const rows = await probe(ctx, outcome, 'triggers-disabled', { database: ctx.database }, () => ctx.session.query<Row>(TRIGGERS_SQL, [ctx.scope.schema ?? null]));
  if (!rows) return;
  outcome.checked += rows.length;
  const byTable = new Map<string, (Row & { enabled: 'D' | 'R' })[]>();
  for (const row of rows) {
    if (row.enabled !== 'D' && row.enabled !== 'R') continue;
    const table = qualified(row.schema, row.table);
    byTable.set(table, [...(byTable.get(table) ?? []), { ...row, enabled: row.enabled }]);
  }
  for (const [table, triggers] of byTable) {
    outcome.findings.push({
      check: 'triggers-disabled',
      severity: 'warning',
      subject: { database: ctx.database, schema: triggers[0]!.schema, table: triggers[0]!.table, trigger: triggers.map((t) => t.trigger).join(', ') },
      summary: `${triggers.length} trigger(s) on ${table} do not fire in ordinary sessions: what they maintain (audit rows, totals, checks) was not kept up meanwhile.`,
      evidence: triggers.map((t) => ({ trigger: t.trigger, tgenabled: t.enabled, meaning: MEANING[t.enabled], definition: t.definition })),
      why: 'ALTER TABLE … DISABLE TRIGGER (or ENABLE REPLICA TRIGGER) switches a trigger off for every ordinary session; rows written meanwhile skipped whatever it enforces or maintains.',
      remediation: triggers.map((t) => `ALTER TABLE ${table} ENABLE TRIGGER ${quoteIdent(t.trigger)};  -- then repair what it would have done for rows written while it was off`),
    });
  }
}

async function replicaSettings(ctx: VerifyContext, outcome: VerifyOutcome): Promise<void> {
  const rows = await probe(ctx, outcome, 'triggers-disabled', { database: ctx.database }, () => ctx.session.query<{ role: string; database: string; setting: string }>(SETTINGS_SQL));
  for (const row of rows ?? []) {
    const who = [row.role && `role ${quoteIdent(row.role)}`, row.database ? `database ${quoteIdent(row.database)}` : 'every database'].filter(Boolean).join(' in ');
    const reset = row.role
      ? `ALTER ROLE ${quoteIdent(row.role)}${row.database ? ` IN DATABASE ${quoteIdent(row.database)}` : ''} RESET session_replication_role;`
      : `ALTER DATABASE ${quoteIdent(row.database)} RESET session_replication_role;`;
    outcome.findings.push({
      check: 'triggers-disabled',
      severity: 'warning',
      subject: { database: ctx.database, ...(row.role ? { role: row.role } : {}), setting: row.setting },
      summary: `${row.setting} is set for ${who}: every such session skips ordinary triggers, foreign-key checks included.`,
      evidence: [{ role: row.role || null, database: row.database || null, setting: row.setting }],
      why: 'Foreign keys and ordinary triggers fire only in the "origin" role; a role or database left in replica mode after a restore or a replication tool writes without any of them.',
      remediation: [`${reset}  -- new sessions only; then see orphan-rows for what was written unchecked`],
    });
  }
}
