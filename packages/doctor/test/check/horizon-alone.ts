import { Cluster } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import type { Report } from '../../src/report/report.js';
import { planFreeze } from '../../src/rescue/plan-freeze.js';
import { check, findingsOf } from './run-check.js';

// The proof of "one model of the horizon": with one holder and nothing else past autovacuum_freeze_max_age,
// check (xmin-horizon, xid-wraparound) and freeze plan name the same holder, with the same release.

/** The lowest autovacuum_freeze_max_age PostgreSQL accepts: 150,000 XIDs put every database past it. */
export const FREEZE_MAX_AGE = 100_000;
export const XIDS = 150_000;

/** PostgreSQL 15 (its pg_basebackup makes the standby), a second database "shop", autovacuum off (its emergency worker still runs). */
export async function horizonCluster(label: string): Promise<Cluster> {
  const cluster = await Cluster.create({ major: 15, label, autovacuum: false, settings: { autovacuum_freeze_max_age: FREEZE_MAX_AGE } });
  await cluster.sql('CREATE DATABASE shop');
  return cluster;
}

/** Consume `count` XIDs fast: one per committed loop iteration, in one round trip. */
export async function burnXids(cluster: Cluster, count: number): Promise<void> {
  await cluster.sql(`DO $$ BEGIN FOR i IN 1..${Math.floor(count)} LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$`);
}

/** VACUUM (FREEZE) every database that accepts connections, as a person would before asking what holds. */
export async function freezeEverything(cluster: Cluster): Promise<Record<string, number>> {
  const { rows } = await cluster.sql<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname');
  for (const { datname } of rows) await cluster.sql('VACUUM (FREEZE)', [], datname);
  return databaseAges(cluster);
}

export async function databaseAges(cluster: Cluster): Promise<Record<string, number>> {
  const { rows } = await cluster.sql<{ datname: string; age: number }>('SELECT datname, age(datfrozenxid)::int AS age FROM pg_database WHERE datallowconn');
  return Object.fromEntries(rows.map((r) => [r.datname, r.age]));
}

/** What the holder is expected to look like, in check and in the plan. */
export interface Expected {
  /** describeHolder() of it. */
  holder: string;
  subject: Record<string, unknown>;
  /** A line of its release, in every fix that names it. */
  release: string;
  /** What it caps of "postgres" and of "shop". */
  caps: { postgres: string; shop: string };
}

/**
 * After XIDS XIDs and a VACUUM (FREEZE) of everything, the holder being the only one past
 * autovacuum_freeze_max_age: the databases really stayed old, check names it in xmin-horizon and in each
 * database's xid-wraparound finding, and freeze plan names it first and as a blocker, with the same release.
 */
export async function proveOnlyHolder(cluster: Cluster, expected: Expected): Promise<Report> {
  const ages = await freezeEverything(cluster);
  expect(ages.postgres).toBeGreaterThan(FREEZE_MAX_AGE);
  expect(ages.shop).toBeGreaterThan(FREEZE_MAX_AGE);

  const report = await check(cluster);
  const [horizon] = findingsOf(report, 'xmin-horizon');
  expect(horizon, 'xmin-horizon names the holder').toMatchObject({ severity: 'warning', subject: expected.subject });
  expect(horizon!.summary).toContain(`${expected.holder} holds the xmin horizon`);
  const pastLimit = horizon!.evidence.filter((e) => e.past_freeze_max_age === true);
  expect(pastLimit).toEqual([expect.objectContaining({ holder: expected.holder })]);
  expect(horizon!.remediation.join('\n')).toContain(expected.release);

  for (const database of ['postgres', 'shop'] as const) {
    const finding = findingsOf(report, 'xid-wraparound').find((f) => f.subject.database === database);
    expect(finding, `xid-wraparound of "${database}"`).toBeDefined();
    expect(finding!.evidence).toContainEqual(expect.objectContaining({ capped_by: expected.holder, caps: expected.caps[database] }));
    expect(finding!.summary).toContain(`while ${expected.holder} holds the horizon`);
    expect(finding!.remediation.join('\n')).toContain(expected.release);
  }

  const plan = await planFreeze(resolveConnOptions({ conninfo: cluster.connectionString() }), { jobs: 1, emergency: false, lockTimeoutMs: 2000 });
  expect(plan.holders[0]!.description).toBe(expected.holder);
  const blocker = plan.blockers.find((b) => b.description === expected.holder);
  expect(blocker, 'freeze plan lists it as a blocker').toBeDefined();
  expect(blocker!.steps.join('\n')).toContain(expected.release);
  for (const database of ['postgres', 'shop']) {
    expect(plan.databases.find((d) => d.name === database)).toMatchObject({ reachesTarget: false, heldBy: expect.stringContaining(expected.holder) });
  }
  return report;
}

/** Once the holder is released, the same freeze takes "postgres" and "shop" under the limit: it was the cause. */
export async function expectFreezableAgain(cluster: Cluster): Promise<void> {
  const ages = await freezeEverything(cluster);
  expect(ages.postgres).toBeLessThan(FREEZE_MAX_AGE);
  expect(ages.shop).toBeLessThan(FREEZE_MAX_AGE);
}
