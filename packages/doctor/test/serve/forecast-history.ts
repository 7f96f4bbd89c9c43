import type { Cluster } from '@mvcc-doctor/lab';
import { expect } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/connect/safe-session.js';
import { DEFAULT_THRESHOLDS } from '../../src/engine/thresholds.js';
import type { Point } from '../../src/monitor/forecast/fit-rate.js';
import type { XidLimits } from '../../src/monitor/forecast/forecast-databases.js';
import type { Observation } from '../../src/monitor/observation.js';
import { observe } from '../../src/monitor/observe.js';
import { parseTarget, type Target } from '../../src/monitor/target.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The cluster as `serve --target` names it (parsed the same way). */
export function targetOf(cluster: Cluster): Target {
  return parseTarget(`lab=${cluster.connectionString()}`);
}

/** `serve`'s loop in small: `count` observations `everyMs` apart, each one asserted ok. */
export async function observeEvery(target: Target, everyMs: number, count: number): Promise<Observation[]> {
  const observations: Observation[] = [];
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    const observation = await observe(target, { thresholds: DEFAULT_THRESHOLDS, limits: DEFAULT_LIMITS });
    expect(observation, observation.ok ? '' : observation.error).toMatchObject({ ok: true });
    observations.push(observation);
    if (i < count - 1) await sleep(Math.max(0, everyMs - (Date.now() - started)));
  }
  return observations;
}

/** What the store would answer for the forecasts: next-XID and per-database age points, and the latest limits. */
export function historyOf(observations: readonly Observation[]): { now: number; nextXid: Point[]; ages: Record<string, Point[]>; limits: XidLimits } {
  const nextXid: Point[] = [];
  const ages: Record<string, Point[]> = {};
  const limits: Record<string, number> = {};
  for (const o of observations) {
    if (!o.ok) continue;
    for (const s of o.samples) {
      if (s.metric === 'mvcc_xids_assigned_total') nextXid.push([o.at, s.value]);
      if (s.metric === 'mvcc_database_xid_age_xids') (ages[s.labels.database!] ??= []).push([o.at, s.value]);
      if (s.metric === 'mvcc_xid_limit_xids') limits[s.labels.limit!] = s.value;
    }
  }
  return { now: observations[observations.length - 1]!.at, nextXid, ages, limits };
}

/** txid_current() as a number (it assigns one XID, which the truth then counts too). */
async function txidCurrent(cluster: Cluster): Promise<number> {
  const { rows } = await cluster.sql<{ xid: string }>('SELECT txid_current()::text AS xid');
  return Number(rows[0]!.xid);
}

/** The true rate a burner kept up, from txid_current at its start and end and the wall time between. */
export interface TrueRate {
  xidsPerSecond: number;
  seconds: number;
  /** XIDs the burner itself assigned. */
  burned: number;
}

/**
 * A client consuming XIDs at `rate` per second, one `SELECT txid_current()` per transaction. It keeps to a
 * schedule rather than a fixed sleep: after a stall (a loaded machine) it catches up, so the rate holds over
 * any stretch longer than a stall, which is what a fit over observations sees.
 */
export async function burnXids(cluster: Cluster, rate: number): Promise<{ stop: () => Promise<TrueRate> }> {
  const client = await cluster.connect('postgres', 'forecast-xid-burner');
  client.on('notice', () => {}); // near wraparound every XID warns
  const startXid = await txidCurrent(cluster);
  const started = performance.now();
  let burned = 0;
  let stopping = false;
  let failed: unknown;
  const loop = (async () => {
    while (!stopping) {
      const due = Math.floor((rate * (performance.now() - started)) / 1000) - burned;
      if (due <= 0) {
        await sleep(10);
        continue;
      }
      for (let i = 0; i < due && !stopping; i++) {
        await client.query('SELECT txid_current()');
        burned++;
      }
    }
  })().catch((error: unknown) => void (failed = error)); // surfaced by stop(), not as an unhandled rejection
  return {
    stop: async () => {
      stopping = true;
      await loop;
      const seconds = (performance.now() - started) / 1000;
      const endXid = failed ? 0 : await txidCurrent(cluster);
      await client.end();
      if (failed) throw failed;
      return { xidsPerSecond: (endXid - startXid) / seconds, seconds, burned };
    },
  };
}

/** age(datfrozenxid) of one database, read now. */
export async function databaseAge(cluster: Cluster, database: string): Promise<number> {
  const { rows } = await cluster.sql<{ age: number }>('SELECT age(datfrozenxid)::int AS age FROM pg_database WHERE datname = $1', [database]);
  return rows[0]!.age;
}
