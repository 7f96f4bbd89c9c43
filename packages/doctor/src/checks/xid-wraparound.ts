import type { TableRow } from '../collect/rows.js';
import { settingNumber } from '../collect/rows.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { cappersOf, scopeText, type Capper } from '../mvcc/horizon-caps.js';
import { bySafety } from '../mvcc/holder-release.js';
import { blocksVacuumIn, describeHolder, horizonHolders, releaseSteps, type HorizonHolder } from '../mvcc/horizon-holders.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import { quoteIdent } from '@mvcc-doctor/pg/quote';
import { ageLimits, describeRate, timeLeft, ZONE_SEVERITY, zoneOf, type Zone } from '../mvcc/wraparound-limits.js';
import { longRunRate, rateBasis } from '../mvcc/xid-rate-evidence.js';

export default defineCheck({
  id: 'xid-wraparound',
  meta: {
    title: 'Transaction ID wraparound',
    area: 'wraparound',
    why: 'XIDs are 32-bit: rows older than 2^31 XIDs would turn invisible, so VACUUM must freeze them and advance relfrozenxid. Past the warning limit PostgreSQL nags; 3M XIDs before wraparound it refuses every command that needs a new XID.',
    description:
      'Reads each database\'s age(datfrozenxid), its oldest tables (TOAST included) and the XID rate, and places the database in a zone: past autovacuum_freeze_max_age, past vacuum_failsafe_age, inside the warning zone (40M XIDs before wraparound on 14+), or in the stop zone (3M before). ' +
      'It names every horizon holder older than autovacuum_freeze_max_age (each caps every database, its catalogs at least) and every prepared transaction whose locks keep VACUUM out, with their release, safest first. ' +
      'The time left comes from the rate sampled with --sample, or, when that saw no XIDs (a 1 s sample right after a burst), from the longer run the server keeps: the XIDs since the last checkpoint, or at most the relfrozenxid age of a relation vacuumed since; the evidence says which (rate_basis).',
    severities: { critical: 'past vacuum_failsafe_age, in the warning zone or in the stop zone', warning: 'past autovacuum_freeze_max_age' },
    settings: ['autovacuum_freeze_max_age', 'vacuum_failsafe_age'],
    remediation: 'Release whatever holds the horizon or locks the oldest tables, then VACUUM (FREEZE, TRUNCATE false) the oldest tables first; `mvcc-doctor freeze` does the whole rescue.',
  },
  uses: ['databases', 'settings'],
  evaluate(snapshot) {
    const limits = ageLimits(
      snapshot.server.version_num,
      settingNumber(snapshot.settings, 'autovacuum_freeze_max_age', 200_000_000),
      settingNumber(snapshot.settings, 'vacuum_failsafe_age', 1_600_000_000),
    );
    const findings: FindingDraft[] = [];
    const holders = horizonHolders(snapshot);
    const longRun = longRunRate(snapshot);
    for (const db of snapshot.databases ?? []) {
      const zone = zoneOf(db.xid_age, limits);
      const severity = ZONE_SEVERITY[zone];
      if (!severity) continue;
      const oldest = (snapshot.tables[db.datname] ?? []).filter((t) => t.xid_age > 0).slice(0, 10);
      const left = timeLeft(db.xid_age, limits, snapshot.xidRate, longRun);
      // Every holder caps every database's datfrozenxid (through the catalogs at least): those older than
      // autovacuum_freeze_max_age keep it past that limit whatever VACUUM does; a prepared transaction's table
      // lock keeps VACUUM out of those tables however young it is.
      const cappers = cappersOf(holders, db.datname, limits.autovacuum);
      const lockers = holders.filter((h) => blocksVacuumIn(h, db.datname) && !cappers.some((c) => c.holder === h));
      findings.push({
        severity,
        subject: { database: db.datname },
        summary: summary(db.datname, db.xid_age, zone, left[0]).replace(/\.$/, cappedText(cappers)),
        evidence: [
          { database: db.datname, xid_age: db.xid_age, datfrozenxid: db.datfrozenxid, zone, allows_connections: db.datallowconn },
          {
            limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
            rate: describeRate(snapshot.xidRate),
            rate_basis: rateBasis(snapshot.xidRate, longRun),
            longer_run: longRun && { source: longRun.source, seconds: Math.round(longRun.seconds), xids_per_second: Number(longRun.xidsPerSecond.toFixed(3)), at_most: longRun.atMost, relation: longRun.relation },
          },
          ...left.map((l) => ({ to: l.limit, xids_left: l.remaining, eta: l.eta })),
          ...cappers.map(capperEvidence),
          ...oldest.map(tableEvidence),
        ],
        remediation: remedy(db.datname, zone, oldest, releases(cappers, lockers), db.datallowconn),
      });
    }
    return findings;
  },
});

function summary(database: string, age: number, zone: Zone, next: { limit: string; remaining: number; eta: string } | undefined): string {
  const head = `Database "${database}" is ${formatCount(age)} XIDs old`;
  switch (zone) {
    case 'stop':
      return `${head}: it is in the stop zone and refuses every command that needs a new transaction ID.`;
    case 'warn':
      return `${head}: inside the wraparound warning zone${next ? `, ${formatCount(next.remaining)} XIDs (${next.eta}) before it stops accepting writes` : ''}.`;
    case 'failsafe':
      return `${head}: past vacuum_failsafe_age, VACUUM now skips index cleanup to freeze as fast as it can.`;
    default:
      return `${head}: past autovacuum_freeze_max_age, anti-wraparound autovacuum should be freezing it${next ? ` (${/^(\d|at least)/.test(next.eta) ? `${next.limit} in ${next.eta}` : `${next.limit}: ${next.eta}`})` : ''}.`;
  }
}

/** Who keeps the database past autovacuum_freeze_max_age, closing the summary's sentence. */
function cappedText(cappers: Capper[]): string {
  const oldest = [...cappers].sort((a, b) => b.holder.xids - a.holder.xids)[0];
  if (!oldest) return '.';
  const others = cappers.length - 1;
  return `; freezing cannot take it below ${formatCount(oldest.holder.xids)} XIDs while ${describeHolder(oldest.holder)} holds the horizon${others ? ` (and ${others} more holder${others === 1 ? '' : 's'} past the limit)` : ''}.`;
}

function capperEvidence({ holder, scope }: Capper): Record<string, unknown> {
  return { capped_by: describeHolder(holder), kind: holder.kind, xmin: holder.xmin, xids_behind: holder.xids, caps: scopeText(scope), catalogs_only: scope !== 'all' };
}

/** Each holder's release under its name, safest first. */
function releases(cappers: Capper[], lockers: HorizonHolder[]): string[] {
  return [...cappers.map((c) => c.holder), ...lockers].sort(bySafety).flatMap((h) => [`-- ${describeHolder(h)}:`, ...releaseSteps(h)]);
}

function tableEvidence(t: TableRow): Record<string, unknown> {
  return { table: `${t.schema}.${t.name}`, xid_age: t.xid_age, toast_xid_age: t.toast_xid_age || undefined, pages: t.pages + t.toast_pages };
}

function remedy(database: string, zone: Zone, oldest: TableRow[], releases: string[], allowsConnections: boolean): string[] {
  const freeze = oldest.map((t) => `VACUUM (FREEZE, TRUNCATE false, VERBOSE) ${qualified(t.schema, t.name)};`);
  const steps: string[] = [];
  if (releases.length > 0) steps.push(`-- first release what holds the horizon, or freezing cannot advance relfrozenxid:`, ...releases);
  if (!allowsConnections) steps.push(`-- "${database}" does not accept connections: ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true; then freeze it`);
  steps.push(
    `-- in database "${database}", oldest first (TRUNCATE false: truncation needs a new XID in the stop zone):`,
    ...freeze,
    `mvcc-doctor freeze plan  -- the whole rescue, every database, ordered by age`,
  );
  if (zone === 'autovacuum') steps.push(`-- check what blocks autovacuum: mvcc-doctor check shows horizon holders and vacuum-running`);
  return steps;
}
