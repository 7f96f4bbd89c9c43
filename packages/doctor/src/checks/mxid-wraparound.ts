import { settingNumber } from '../collect/rows.js';
import type { Snapshot } from '../collect/snapshot.js';
import { blocksVacuumIn, horizonHolders, releaseSteps } from '../mvcc/horizon-holders.js';
import { defineCheck } from '../engine/define-check.js';
import type { FindingDraft } from '../engine/finding.js';
import { formatCount } from '../report/format.js';
import { qualified } from '../report/sql-text.js';
import { ageLimits, describeRate, timeLeft, ZONE_SEVERITY, zoneOf } from '../mvcc/wraparound-limits.js';

export default defineCheck({
  id: 'mxid-wraparound',
  meta: {
    title: 'MultiXact ID wraparound',
    area: 'wraparound',
    why: 'Rows locked by several transactions (FOR SHARE, foreign keys) carry a 32-bit MultiXact ID that VACUUM must freeze like an XID. When mxid_age nears 2^31 PostgreSQL warns, then refuses commands that create MultiXacts.',
    description: 'Reads each database\'s mxid_age(datminmxid), its oldest tables by MultiXact age, the MultiXact rate sampled with --sample, and (as superuser) the MultiXact member space in use, against the same zones as XIDs.',
    severities: { critical: 'past vacuum_multixact_failsafe_age, in the warning or stop zone, or member space three quarters used', warning: 'past autovacuum_multixact_freeze_max_age, or member space half used' },
    settings: ['autovacuum_multixact_freeze_max_age', 'vacuum_multixact_failsafe_age'],
    remediation: 'Release prepared transactions that lock the oldest tables, VACUUM (FREEZE) them oldest first, then find the FOR SHARE / foreign-key workload that creates MultiXacts.',
  },
  uses: ['databases', 'settings'],
  evaluate(snapshot) {
    const limits = ageLimits(
      snapshot.server.version_num,
      settingNumber(snapshot.settings, 'autovacuum_multixact_freeze_max_age', 400_000_000),
      settingNumber(snapshot.settings, 'vacuum_multixact_failsafe_age', 1_600_000_000),
    );
    const findings: FindingDraft[] = [];
    for (const db of snapshot.databases ?? []) {
      const zone = zoneOf(db.mxid_age, limits);
      const severity = ZONE_SEVERITY[zone];
      if (!severity) continue;
      const oldest = [...(snapshot.tables[db.datname] ?? [])].sort((a, b) => b.mxid_age - a.mxid_age).filter((t) => t.mxid_age > 0).slice(0, 10);
      const left = timeLeft(db.mxid_age, limits, snapshot.mxidRate);
      findings.push({
        severity,
        subject: { database: db.datname },
        summary:
          zone === 'stop'
            ? `Database "${db.datname}" is ${formatCount(db.mxid_age)} MultiXacts old: it refuses commands that create new MultiXact IDs.`
            : `Database "${db.datname}" is ${formatCount(db.mxid_age)} MultiXacts old (${zone === 'autovacuum' ? 'past autovacuum_multixact_freeze_max_age' : zone === 'failsafe' ? 'past the failsafe age' : 'inside the warning zone'})${left[0] ? `, ${formatCount(left[0].remaining)} before the ${left[0].limit} limit${snapshot.mxidRate ? ` (${left[0].eta})` : ''}` : ''}.`,
        evidence: [
          { database: db.datname, mxid_age: db.mxid_age, zone },
          { limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)), rate: describeRate(snapshot.mxidRate, 'MultiXacts') },
          ...left.map((l) => ({ to: l.limit, multixacts_left: l.remaining, eta: l.eta })),
          ...oldest.map((t) => ({ table: `${t.schema}.${t.name}`, mxid_age: t.mxid_age, pages: t.pages })),
        ],
        remediation: [
          ...releases(snapshot, db.datname),
          `-- in database "${db.datname}", oldest first:`,
          ...oldest.map((t) => `VACUUM (FREEZE, TRUNCATE false, VERBOSE) ${qualified(t.schema, t.name)};`),
          `-- then find what creates MultiXacts so fast: SELECT … FOR SHARE / FOR KEY SHARE and foreign keys on hot rows`,
        ],
      });
    }
    const members = memberSpace(snapshot.multixactMembers?.[0]);
    if (members !== undefined && members.used >= MEMBER_SAFE) {
      findings.push({
        severity: members.used >= MEMBER_DANGER ? 'critical' : 'warning',
        subject: { database: [...(snapshot.databases ?? [])].sort((a, b) => b.mxid_age - a.mxid_age)[0]?.datname },
        summary: `MultiXact member space is ${(members.used * 100).toFixed(0)}% used (${formatCount(members.count)} of 2^32 members, as of the last checkpoint): autovacuum freezes aggressively from 50%, and new MultiXacts fail when it runs out.`,
        evidence: [{ ...snapshot.multixactMembers![0], members_in_use: members.count, used_fraction: Number(members.used.toFixed(4)) }],
        remediation: [
          '-- freeze the databases with the oldest datminmxid first: VACUUM (FREEZE) frees member space once relminmxid advances',
          'mvcc-doctor freeze plan',
          '-- then find the MultiXact-heavy workload: many concurrent SELECT … FOR SHARE / FOR KEY SHARE (foreign keys) on the same rows',
        ],
      });
    }
    return findings;
  },
});

/** The prepared transactions whose table locks keep VACUUM (anti-wraparound autovacuum too) away from `database`. */
function releases(snapshot: Snapshot, database: string): string[] {
  const steps = horizonHolders(snapshot).filter((h) => blocksVacuumIn(h, database)).flatMap(releaseSteps);
  return steps.length ? ['-- first release what keeps VACUUM from these tables:', ...steps] : [];
}

/** multixact.c: MULTIXACT_MEMBER_SAFE_THRESHOLD (half the space) and MULTIXACT_MEMBER_DANGER_THRESHOLD (three quarters). */
const MEMBER_SAFE = 0.5;
const MEMBER_DANGER = 0.75;
const MEMBER_SPACE = 2 ** 32;

function memberSpace(row: { next_offset: number; oldest_offset: number | null } | undefined): { count: number; used: number } | undefined {
  if (!row || row.oldest_offset === null) return undefined;
  const count = (((row.next_offset - row.oldest_offset) % MEMBER_SPACE) + MEMBER_SPACE) % MEMBER_SPACE;
  return { count, used: count / MEMBER_SPACE };
}
