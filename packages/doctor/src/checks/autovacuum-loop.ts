import { settingNumber, type TableRow } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { autovacuumEnabledFor, autovacuumGloballyOn, reloption, vacuumTrigger } from '../mvcc/autovacuum-trigger.js';
import { capsRelation, capIn, scopeText } from '../mvcc/horizon-caps.js';
import { bySafety } from '../mvcc/holder-release.js';
import { describeHolder, horizonHolders, releaseSteps, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { ageLimits, zoneOf } from '../mvcc/wraparound-limits.js';
import { formatCount, formatDuration } from '../report/format.js';

const SYSTEM = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/** Tables named in a finding's evidence; the summary gives the count of the rest. */
const MAX_TABLES = 20;

export default defineCheck({
  id: 'autovacuum-loop',
  meta: {
    title: 'Autovacuum running in circles',
    area: 'vacuum',
    why: 'While a holder keeps the xmin horizon, VACUUM can neither remove the dead tuples nor advance relfrozenxid past it, so the table is still past its trigger when autovacuum is done. Autovacuum comes back every naptime and does the same work again, while the holder stays.',
    description:
      'Reads, in one snapshot, tables that autovacuum processed recently (within ten naptimes, a minute at least) and that are still past what brought it there: ' +
      'relfrozenxid older than autovacuum_freeze_max_age (anti-wraparound, which runs even with autovacuum off) or dead tuples past the trigger; ' +
      'and a horizon holder that caps the table and was already there at that autovacuum (older than autovacuum_freeze_max_age for the first case). One finding per database, naming the tables and the holders.',
    severities: { critical: 'the table is past vacuum_failsafe_age or in the wraparound warning zone', warning: 'autovacuum repeats on the table without progress' },
    settings: ['autovacuum_naptime', 'autovacuum_freeze_max_age', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor'],
    remediation: 'Release the holder (the finding gives its SQL, safest first); the next autovacuum then removes and freezes what it could not. Vacuuming again by hand does not help while it stays.',
  },
  uses: ['tables', 'settings'],
  evaluate(snapshot) {
    const naptime = settingNumber(snapshot.settings, 'autovacuum_naptime', 60);
    const limits = ageLimits(snapshot.server.version_num, settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000), settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000));
    const holders = horizonHolders(snapshot);
    const findings: FindingDraft[] = [];
    for (const [database, tables] of Object.entries(snapshot.tables)) {
      const circling = tables.flatMap((t) => {
        const loop = loopOf(t, database, snapshot, holders, limits.autovacuum, naptime);
        return loop ? [loop] : [];
      });
      if (circling.length === 0) continue;
      // The application's tables first, then the most autovacuumed.
      circling.sort((a, b) => Number(SYSTEM.has(a.table.schema)) - Number(SYSTEM.has(b.table.schema)) || (b.table.autovacuum_count ?? 0) - (a.table.autovacuum_count ?? 0));
      const cappers = [...new Set(circling.flatMap((c) => c.holders))].sort(bySafety);
      const oldest = [...cappers].sort((a, b) => b.xids - a.xids)[0]!;
      const first = circling[0]!;
      const zone = zoneOf(Math.max(...circling.map((c) => c.table.xid_age)), limits);
      const others = circling.length - 1;
      findings.push({
        severity: zone === 'failsafe' || zone === 'warn' || zone === 'stop' ? 'critical' : 'warning',
        subject: { database, schema: first.table.schema, table: first.table.name },
        summary:
          `Autovacuum keeps coming back to ${first.table.schema}.${first.table.name}${others ? ` and ${others} other table(s)` : ''} in "${database}" without progress ` +
          `(${first.reason === 'freeze' ? `relfrozenxid still ${formatCount(first.table.xid_age)} XIDs old` : `${formatCount(first.table.dead_tuples ?? 0)} dead tuples still there`} after ${formatCount(first.table.autovacuum_count ?? 0)} autovacuum run(s), the last ${formatDuration(first.sinceSeconds)} ago): ` +
          `${describeHolder(oldest)}${cappers.length > 1 ? ` and ${cappers.length - 1} more holder(s)` : ''} hold${cappers.length > 1 ? '' : 's'} the horizon it needs.`,
        evidence: [
          ...circling.slice(0, MAX_TABLES).map((c) => ({
            table: `${c.table.schema}.${c.table.name}`,
            stuck_on: c.reason === 'freeze' ? 'relfrozenxid' : 'dead tuples',
            xid_age: c.table.xid_age,
            dead_tuples: c.table.dead_tuples,
            autovacuum_count: c.table.autovacuum_count,
            last_autovacuum: c.table.last_autovacuum!.toISOString(),
            held_by: c.holders.map(describeHolder),
          })),
          ...cappers.map((h) => ({ holder: describeHolder(h), kind: h.kind, xmin: h.xmin, xids_behind: h.xids, held_for: h.seconds === undefined ? undefined : formatDuration(h.seconds), caps: scopeText(capIn(h, database)) })),
        ],
        remediation: [
          ...cappers.flatMap((h) => [`-- ${describeHolder(h)}:`, ...releaseSteps(h)]),
          `-- then let autovacuum come back (within ${formatDuration(naptime)}), or VACUUM (FREEZE, VERBOSE) the tables listed; before that it only repeats itself`,
        ],
      });
    }
    return findings;
  },
});

interface Loop {
  table: TableRow;
  reason: 'freeze' | 'dead';
  sinceSeconds: number;
  holders: HorizonHolder[];
}

/**
 * One table in circles: autovacuum was there recently, after a holder that caps the table started, and left
 * it still past what made it come (anti-wraparound age, or dead tuples past the trigger): it comes again.
 */
function loopOf(t: TableRow, database: string, snapshot: Snapshot, holders: HorizonHolder[], freezeMaxAge: number, naptime: number): Loop | undefined {
  if (!t.last_autovacuum || t.persistence === 't') return undefined;
  const at = t.last_autovacuum.getTime() / 1000;
  const sinceSeconds = snapshot.server.at - at;
  // Recent: it is still coming back (ten naptimes leaves room for busy workers, a minute at least for a short naptime).
  if (sinceSeconds > Math.max(10 * naptime, 60)) return undefined;
  const tableFreezeMax = Math.min(freezeMaxAge, Number(reloption(t.reloptions, 'autovacuum_freeze_max_age') ?? Infinity));
  const freeze = t.xid_age > tableFreezeMax;
  // Dead tuples bring autovacuum back only where it may vacuum for them; anti-wraparound comes regardless.
  const dead = autovacuumGloballyOn(snapshot.settings) && autovacuumEnabledFor(t) && (t.dead_tuples ?? 0) > vacuumTrigger(t, snapshot.settings);
  if (!freeze && !dead) return undefined;
  // Was there at that autovacuum: started before it (when we know when it started).
  const before = (h: HorizonHolder) => h.seconds === undefined || snapshot.server.at - h.seconds <= at;
  const capping = holders.filter((h) => capsRelation(h, database, t) && before(h));
  // For relfrozenxid, only a holder older than the limit keeps the table past it. For dead tuples, one known to
  // have started before that autovacuum and to have held for a naptime at least (not a passing transaction).
  const ageHolders = freeze ? capping.filter((h) => h.xids > tableFreezeMax) : [];
  if (ageHolders.length > 0) return { table: t, reason: 'freeze', sinceSeconds, holders: ageHolders };
  const deadHolders = dead ? capping.filter((h) => h.seconds !== undefined && h.seconds >= naptime) : [];
  if (deadHolders.length > 0) return { table: t, reason: 'dead', sinceSeconds, holders: deadHolders };
  return undefined;
}
