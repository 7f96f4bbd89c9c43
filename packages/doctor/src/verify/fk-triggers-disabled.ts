import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { qualified } from '../report/sql-text.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification } from './verification.js';

const MEANING = { D: 'disabled', R: 'fires only under session_replication_role = replica' } as const;

/**
 * Foreign keys whose internal RI triggers (RI_ConstraintTrigger_*) do not fire: `ALTER TABLE … DISABLE TRIGGER
 * ALL` (a bulk load, a restore) left the constraint in the catalog and its enforcement switched off.
 */
export const fkTriggersDisabled: Verification = {
  id: 'fk-triggers-disabled',
  unit: 'foreign keys',
  async run(ctx) {
    const outcome = emptyOutcome();
    const keys = await probe(ctx, outcome, 'fk-triggers-disabled', { database: ctx.database }, () => ctx.foreignKeys());
    for (const fk of keys ?? []) {
      outcome.checked++;
      if (fk.idleTriggers.length === 0) continue;
      const child = qualified(fk.childSchema, fk.childTable);
      const sides = new Set(fk.idleTriggers.map((t) => t.side));
      const what = [sides.has('child') && `rows written to ${child} are not checked`, sides.has('parent') && `deletes and updates of ${qualified(fk.parentSchema, fk.parentTable)} do not act on their children`].filter(Boolean).join('; ');
      const tables = [...new Map(fk.idleTriggers.map((t) => [qualified(t.schema, t.table), t])).keys()];
      outcome.findings.push({
        check: 'fk-triggers-disabled',
        severity: 'warning',
        subject: { database: ctx.database, schema: fk.childSchema, table: fk.childTable, constraint: fk.name },
        summary: `Foreign key ${fk.name} on ${child} is not enforced: ${fk.idleTriggers.length} of its RI trigger(s) do not fire, so ${what}.`,
        evidence: fk.idleTriggers.map((t) => ({ trigger: t.name, table: `${t.schema}.${t.table}`, side: t.side, tgenabled: t.enabled, meaning: MEANING[t.enabled] })),
        why: 'A foreign key is enforced by internal triggers on both tables; with them off the constraint still shows in \\d and is trusted by the planner, but nothing stops orphans.',
        remediation: [
          ...fk.idleTriggers.map((t) => `ALTER TABLE ${qualified(t.schema, t.table)} ENABLE TRIGGER ${quoteIdent(t.name)};`),
          `-- rows written meanwhile were never checked: see orphan-rows; to have PostgreSQL re-check them all (SHARE ROW EXCLUSIVE on ${tables.join(', ')} while it is added):\nBEGIN;\nALTER TABLE ${child} DROP CONSTRAINT ${quoteIdent(fk.name)};\nALTER TABLE ${child} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition.replace(/ NOT VALID$/, '')} NOT VALID;\nCOMMIT;\nALTER TABLE ${child} VALIDATE CONSTRAINT ${quoteIdent(fk.name)};`,
        ],
      });
    }
    return outcome;
  },
};
