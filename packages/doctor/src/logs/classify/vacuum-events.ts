import type { LogEvent } from '../log-event.js';
import type { LogRecord } from '../log-record.js';
import { makeEvent } from './make-event.js';
import { splitQualifiedTable } from './relation-name.js';
import { parseVacuumReport } from './vacuum-report.js';

/** Dead tuples left behind from which an autovacuum report is a warning rather than routine (see below). */
export const NOT_REMOVABLE_WARNING = 1000;

export function vacuumReportEvent(record: LogRecord): LogEvent | undefined {
  const report = parseVacuumReport(record.message);
  if (!report) return undefined;
  const { database, relation } = splitQualifiedTable(report.table);
  const f = report.fields;
  if (report.operation === 'analyze') {
    return makeEvent(record, 'autoanalyze', { summary: `autoanalyze of ${relation}${elapsed(f)}`, fields: f, relation, database });
  }
  const removed = typeof f.tuples_removed === 'number' ? f.tuples_removed : 0;
  const left = typeof f.tuples_not_removable === 'number' ? f.tuples_not_removable : 0;
  // A vacuum that left more dead tuples than it removed, by thousands, ran into the xmin horizon: something
  // (an old transaction, a slot, a prepared transaction) keeps them visible. The failsafe is an emergency.
  const severity = f.failsafe === true || (left >= NOT_REMOVABLE_WARNING && left > removed) ? 'warning' : 'info';
  const kind = f.anti_wraparound ? 'anti-wraparound autovacuum' : f.aggressive ? 'aggressive autovacuum' : 'autovacuum';
  let summary = `${kind} of ${relation}: ${removed} dead tuples removed`;
  if (left > 0) {
    const age = typeof f.removable_cutoff_age === 'number' ? `; removable cutoff ${f.removable_cutoff_age} XIDs old` : '';
    summary += `, ${left} dead but not yet removable${age}`;
  }
  if (f.failsafe === true) summary += '; index vacuuming bypassed by the wraparound failsafe';
  return makeEvent(record, 'autovacuum', { summary, fields: f, relation, database, severity });
}

function elapsed(fields: Record<string, unknown>): string {
  return typeof fields.elapsed_s === 'number' ? ` in ${fields.elapsed_s} s` : '';
}
