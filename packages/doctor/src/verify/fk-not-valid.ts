import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { qualified } from '../report/sql-text.js';
import { probe } from './probe.js';
import { emptyOutcome, type Verification } from './verification.js';

/** Foreign keys added NOT VALID and never validated: the rows from before them were never checked. */
export const fkNotValid: Verification = {
  id: 'fk-not-valid',
  unit: 'foreign keys',
  async run(ctx) {
    const outcome = emptyOutcome();
    const keys = await probe(ctx, outcome, 'fk-not-valid', { database: ctx.database }, () => ctx.foreignKeys());
    for (const fk of keys ?? []) {
      outcome.checked++;
      if (fk.validated) continue;
      const child = qualified(fk.childSchema, fk.childTable);
      outcome.findings.push({
        check: 'fk-not-valid',
        severity: 'warning',
        subject: { database: ctx.database, schema: fk.childSchema, table: fk.childTable, constraint: fk.name },
        summary: `Foreign key ${fk.name} on ${child} is NOT VALID: rows written before it was added were never checked against ${qualified(fk.parentSchema, fk.parentTable)}.`,
        evidence: [{ constraint: fk.name, definition: fk.definition, convalidated: false }],
        why: 'ADD CONSTRAINT … NOT VALID checks new rows only; until VALIDATE CONSTRAINT runs, existing orphans are allowed and the planner cannot trust the key.',
        remediation: [
          `-- orphan-rows lists the rows that would make this fail; then (SHARE UPDATE EXCLUSIVE lock: reads and writes go on):\nALTER TABLE ${child} VALIDATE CONSTRAINT ${quoteIdent(fk.name)};`,
        ],
      });
    }
    return outcome;
  },
};
