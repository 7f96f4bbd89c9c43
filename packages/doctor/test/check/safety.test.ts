import type { Finding } from '../../src/engine/finding.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { APPLICATION_NAME, openSession } from '../../src/connect/safe-session.js';
import { Cluster, waitFor, idleInTransaction, lockBlocking, preparedTransaction } from '@mvcc-doctor/lab';
import type { Report } from '../../src/report/report.js';
import { check, findingsOf, realSkips } from './run-check.js';

/** Checks that read pg_stat_activity, which a role without pg_read_all_stats sees only its own rows of. */
const ACTIVITY_CHECKS = CHECKS.filter((c) => c.uses.includes('activity')).map((c) => c.id);
const NEEDS_STATS = 'needs pg_read_all_stats (GRANT pg_monitor TO <role>)';

/** What the doctor's sessions look like from another session, sampled every 20 ms while `during` runs. */
async function watchDoctor<T>(cluster: Cluster, during: () => Promise<T>) {
  const observer = await cluster.connect('postgres', 'lab-observer');
  const observerPid = (await observer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const seen = new Map<number, { xid: string | null; waiting: boolean }[]>();
  let done = false;
  const polling = (async () => {
    while (!done) {
      const { rows } = await observer.query<{ pid: number; xid: string | null; waiting: boolean }>(
        `SELECT a.pid, a.backend_xid::text AS xid,
                EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted) AS waiting
           FROM pg_stat_activity a WHERE a.application_name = $1`,
        [APPLICATION_NAME],
      );
      for (const row of rows) seen.set(row.pid, [...(seen.get(row.pid) ?? []), { xid: row.xid, waiting: row.waiting }]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const result = await during();
    return { result, seen, observerPid };
  } finally {
    done = true;
    await polling;
    await observer.end();
  }
}

/** No finding is about one of the doctor's own sessions, or quotes its application_name. */
function expectNothingAboutUs(report: Report, doctorPids: Iterable<number>): void {
  const pids = new Set(doctorPids);
  for (const f of report.findings) {
    expect(f.subject.pid === undefined || !pids.has(f.subject.pid), `${f.check} is about a doctor session`).toBe(true);
    for (const row of f.evidence) {
      expect(row.application_name, `${f.check} evidence`).not.toBe(APPLICATION_NAME);
      if (typeof row.pid === 'number') expect(pids.has(row.pid), `${f.check} evidence pid ${row.pid}`).toBe(false);
    }
  }
}

describe('check is safe to run during an incident (PostgreSQL 18)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // Autovacuum off: nothing but the test itself may assign XIDs on this cluster.
    cluster = await Cluster.create({ label: 'safety', autovacuum: false });
    await cluster.sql('CREATE DATABASE shop');
  });
  afterAll(() => cluster?.destroy());

  it('its sessions are read only, bounded by statement_timeout and lock_timeout, and named mvcc-doctor', async () => {
    const session = await openSession(resolveConnOptions({ conninfo: cluster.connectionString() }));
    try {
      const [settings] = await session.query<Record<string, string>>(
        `SELECT current_setting('default_transaction_read_only') AS read_only, current_setting('statement_timeout') AS statement_timeout,
                current_setting('lock_timeout') AS lock_timeout, current_setting('application_name') AS application_name`,
      );
      expect(settings).toEqual({ read_only: 'on', statement_timeout: '30s', lock_timeout: '1s', application_name: 'mvcc-doctor' });
      await expect(session.query('CREATE TABLE written_by_the_doctor (id int)')).rejects.toThrow(/read-only transaction/);
    } finally {
      await session.close();
    }
  });

  it('takes no XID: txid_current before and after a sampled check differ by the probe alone; its sessions never have backend_xid', async () => {
    const before = Number((await cluster.sql<{ x: string }>('SELECT txid_current()::text AS x')).rows[0]!.x);
    const { result: report, seen } = await watchDoctor(cluster, () => check(cluster, { sampleMs: 1500 }));
    const after = Number((await cluster.sql<{ x: string }>('SELECT txid_current()::text AS x')).rows[0]!.x);
    expect(after - before).toBe(1);
    expect(report.xid_rate).toMatchObject({ xidsPerSecond: 0 });
    // Seen from another session during the 1.5 s sample: named mvcc-doctor, never holding an XID.
    expect(seen.size).toBeGreaterThan(0);
    for (const samples of seen.values()) for (const s of samples) expect(s.xid).toBeNull();
  });

  it('works while an ALTER TABLE waits for AccessExclusiveLock: fast, and never waits in the lock queue itself', async () => {
    const fault = await lockBlocking(cluster, { readers: 3 });
    try {
      const started = Date.now();
      const { result: report, seen } = await watchDoctor(cluster, () => check(cluster));
      expect(Date.now() - started).toBeLessThan(3000);
      expect(report.findings.find((f) => f.check === 'lock-blocking')?.subject.pid).toBe(fault.holderPid);
      expect(seen.size).toBeGreaterThan(0);
      for (const samples of seen.values()) for (const s of samples) expect(s.waiting).toBe(false);
      expectNothingAboutUs(report, seen.keys());
    } finally {
      await fault.release();
    }
  });

  it('its own sessions never appear in its findings, even with two checks at once and every threshold at zero', async () => {
    const fault = await idleInTransaction(cluster, { deadRows: 10 });
    try {
      const zero = { idleInTransactionSeconds: 0, longTransactionSeconds: 0, horizonXids: 0, horizonSeconds: 0, lockWaitSeconds: 0 };
      const { result: reports, seen, observerPid } = await watchDoctor(cluster, () => Promise.all([check(cluster, { thresholds: zero, sampleMs: 300 }), check(cluster, { thresholds: zero, sampleMs: 300 })]));
      expect(seen.size).toBeGreaterThanOrEqual(2);
      // With every threshold at zero, the observer's own polling query, caught in flight, is a real (if short)
      // transaction holding a snapshot: it may be reported. Only the doctor's sessions must never be.
      const notObserver = (f: Finding) => f.subject.pid !== observerPid;
      for (const report of reports) {
        expect(findingsOf(report, 'idle-in-transaction').map((f) => f.subject.pid)).toEqual([fault.pid]);
        expect(findingsOf(report, 'long-transaction').filter(notObserver)).toEqual([]);
        expect(findingsOf(report, 'xmin-horizon').filter(notObserver).map((f) => f.subject.pid)).toEqual([fault.pid]);
        expectNothingAboutUs(report, seen.keys());
      }
    } finally {
      await fault.release();
    }
  });

  describe('as a role with only pg_monitor, and as one without it', () => {
    beforeAll(async () => {
      await cluster.sql('CREATE ROLE mon LOGIN IN ROLE pg_monitor');
      await cluster.sql('CREATE ROLE plain LOGIN');
      // "plain" may not even connect to shop: that database is skipped, with the server's reason.
      await cluster.sql('REVOKE CONNECT ON DATABASE shop FROM PUBLIC');
      await cluster.sql('GRANT CONNECT ON DATABASE shop TO mon');
      // Autovacuum back on (a critical autovacuum-disabled finding would hide the exit code under test).
      await cluster.sql('ALTER SYSTEM SET autovacuum = on');
      await cluster.sql('SELECT pg_reload_conf()');
      await waitFor(async () => (await cluster.sql(`SELECT current_setting('autovacuum') = 'on' AS on`)).rows[0]!.on, 'autovacuum to be on');
    });

    it('pg_monitor: sees what a superuser sees; only the superuser-only dataset is skipped, naming the privilege', async () => {
      const idle = await idleInTransaction(cluster, { deadRows: 10 });
      const prepared = await preparedTransaction(cluster, { database: 'shop', deadRows: 10 });
      try {
        const thresholds = { idleInTransactionSeconds: 0, preparedTransactionSeconds: 0 };
        const [asMonitor, asSuperuser] = await Promise.all([check(cluster, { user: 'mon', thresholds }), check(cluster, { thresholds })]);
        expect(asMonitor.server).toMatchObject({ role: 'mon', superuser: false });
        expect(realSkips(asMonitor.skipped).every((s) => /needs superuser/.test(s.reason))).toBe(true);
        expect(asMonitor.databases_examined).toEqual(asSuperuser.databases_examined);
        const key = (r: Report) => r.findings.map((f) => `${f.check} ${f.severity} ${JSON.stringify(f.subject)}`).sort();
        expect(key(asMonitor)).toEqual(key(asSuperuser));
        expect(findingsOf(asMonitor, 'idle-in-transaction').map((f) => f.subject.pid)).toEqual([idle.pid]);
        expect(findingsOf(asMonitor, 'prepared-transaction').map((f) => f.subject)).toEqual([{ database: 'shop', gid: prepared.gid }]);
      } finally {
        await Promise.all([idle.release(), prepared.release()]);
      }
    });

    it('no pg_monitor: activity-based checks are skipped with the GRANT to run; the exit code still reflects the rest', async () => {
      const idle = await idleInTransaction(cluster, { deadRows: 10 });
      const prepared = await preparedTransaction(cluster, { deadRows: 10 });
      try {
        const report = await check(cluster, { user: 'plain', thresholds: { idleInTransactionSeconds: 0, preparedTransactionSeconds: 0 } });
        expect(report.server).toMatchObject({ role: 'plain', superuser: false });
        expect(report.skipped).toContainEqual({ what: 'activity', reason: NEEDS_STATS });
        for (const id of ACTIVITY_CHECKS) expect(report.skipped, id).toContainEqual({ what: id, reason: NEEDS_STATS });
        expect(report.skipped).toContainEqual({ what: 'database', database: 'shop', reason: expect.stringMatching(/permission denied for database "shop"/) });
        expect(report.databases_examined).not.toContain('shop');
        for (const id of ACTIVITY_CHECKS) expect(findingsOf(report, id), id).toEqual([]);
        // What it can see still counts: the orphaned prepared transaction is a warning, so exit 1.
        expect(findingsOf(report, 'prepared-transaction').map((f) => f.subject.gid)).toEqual([prepared.gid]);
        expect(report.exit_code).toBe(1);
        expect(report.findings.every((f) => f.severity !== 'critical')).toBe(true);
      } finally {
        await Promise.all([idle.release(), prepared.release()]);
      }
    });
  });
});
