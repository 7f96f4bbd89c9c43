import { homedir } from 'node:os';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DoctorError } from '../../src/connect/doctor-error.js';
import type { Finding } from '../../src/engine/finding.js';
import type { FindingEvent } from '../../src/monitor/finding-event.js';
import type { LogEvent } from '../../src/logs/log-event.js';
import type { AlertRecord, HistoryStore, StoredLogEvent } from '../../src/monitor/history-store.js';
import { dayOf, DAY_MS, partitionName } from '../../src/monitor/store/day-partitions.js';
import { openEmbeddedStore } from '../../src/monitor/store/embedded-store.js';
import { openPostgresStore } from '../../src/monitor/store/postgres-store.js';
import { MIGRATIONS } from '../../src/monitor/store/schema.js';

/** The store as serve opens it: the URL resolved like a target's (PGPASSFILE, PGUSER… fill in; HOME finds ~/.pgpass). */
function openStoreAt(url: string, env: Record<string, string | undefined> = { HOME: homedir() }) {
  return openPostgresStore(resolveConnOptions({ conninfo: url, env }));
}

const PASSWORD = 'store-pw-17';
const XID_AGE = 'mvcc_database_xid_age_xids';
/** A fixed noon (UTC), so every contract point falls in one day partition. */
const T0 = Date.UTC(2026, 2, 14, 12);

let store: Cluster;
let databases = 0;
const dirs: string[] = [];

/** A fresh database of the store cluster, and its --store URL. */
async function freshDatabase(): Promise<{ name: string; url: string }> {
  const name = `store_${++databases}`;
  await store.sql(`CREATE DATABASE ${name}`);
  return { name, url: `postgresql://postgres:${PASSWORD}@127.0.0.1:${store.port}/${name}` };
}

function finding(check: string, summary: string): Finding {
  return { check, severity: 'warning', subject: { database: 'app' }, summary, evidence: [{ n: 1 }], why: 'because', remediation: [] } as unknown as Finding;
}

function event(cluster: string, key: string, openedAt: number, closedAt?: number): FindingEvent {
  return { cluster, key, check: key.split('|')[0]!, severity: 'warning', openedAt, ...(closedAt === undefined ? {} : { closedAt }), finding: finding(key.split('|')[0]!, `${key} at ${openedAt}`) };
}

function alert(cluster: string, fingerprint: string, at: number, status: AlertRecord['status']): AlertRecord {
  return { fingerprint, cluster, name: 'XidWraparound', status, labels: { cluster, severity: 'critical' }, annotations: { summary: 's' }, startsAt: at - 1000, ...(status === 'resolved' ? { endsAt: at } : {}), at };
}

beforeAll(async () => {
  store = await Cluster.create({ password: PASSWORD, label: 'store' });
});

afterAll(async () => {
  await store?.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The contract of HistoryStore, run on the embedded store (the reference) and on PostgreSQL: the same calls must
 * give the same answers.
 */
const kinds: [string, () => Promise<HistoryStore>][] = [
  [
    'embedded',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mvcc-store-'));
      dirs.push(dir);
      return openEmbeddedStore(dir);
    },
  ],
  ['postgresql', async () => openStoreAt((await freshDatabase()).url)],
];

describe.each(kinds)('history store contract: %s', (_kind, open) => {
  let history: HistoryStore;
  beforeAll(async () => {
    history = await open();
  });
  afterAll(async () => {
    await history?.close();
  });

  it('keeps points per series and answers by cluster, metric, labels and time range', async () => {
    for (let i = 0; i < 3; i++) {
      await history.append({
        cluster: 'a',
        at: T0 + i * 1000,
        samples: [
          { metric: XID_AGE, labels: { database: 'app' }, value: 10 + i },
          { metric: XID_AGE, labels: { database: 'postgres' }, value: 20 + i },
          { metric: 'mvcc_up', labels: {}, value: 1 },
        ],
      });
    }
    await history.append({ cluster: 'b', at: T0, samples: [{ metric: XID_AGE, labels: { database: 'app' }, value: 99 }] });
    await history.append({ cluster: 'b', at: T0 + 5000, samples: [] });

    expect(await history.series({ cluster: 'a', metric: XID_AGE, from: T0, to: T0 + 2000 })).toEqual([
      { labels: { database: 'app' }, points: [[T0, 10], [T0 + 1000, 11], [T0 + 2000, 12]] },
      { labels: { database: 'postgres' }, points: [[T0, 20], [T0 + 1000, 21], [T0 + 2000, 22]] },
    ]);
    expect(await history.series({ cluster: 'a', metric: XID_AGE, from: T0, to: T0 + 2000, labels: { database: 'postgres' } })).toEqual([
      { labels: { database: 'postgres' }, points: [[T0, 20], [T0 + 1000, 21], [T0 + 2000, 22]] },
    ]);
    expect(await history.series({ cluster: 'a', metric: XID_AGE, from: T0 + 500, to: T0 + 1500 })).toEqual([
      { labels: { database: 'app' }, points: [[T0 + 1000, 11]] },
      { labels: { database: 'postgres' }, points: [[T0 + 1000, 21]] },
    ]);
    expect(await history.series({ cluster: 'b', metric: XID_AGE, from: 0, to: T0 + 10_000 })).toEqual([{ labels: { database: 'app' }, points: [[T0, 99]] }]);
    expect(await history.series({ cluster: 'a', metric: XID_AGE, from: T0 + 3000, to: T0 + 9000 })).toEqual([]);
    expect(await history.series({ cluster: 'a', metric: 'mvcc_nothing', from: 0, to: T0 + 10_000 })).toEqual([]);
    expect(await history.series({ cluster: 'a', metric: XID_AGE, from: 0, to: T0 + 10_000, labels: { database: 'nope' } })).toEqual([]);
  });

  it('averages points into buckets of stepMs, the bucket named by its start', async () => {
    for (let i = 0; i < 6; i++) await history.append({ cluster: 'step', at: T0 + i * 1000, samples: [{ metric: 'mvcc_up', labels: {}, value: i }] });
    // T0 is a multiple of 3000, so buckets are [T0, T0+3000) and [T0+3000, T0+6000): averages of 0,1,2 and 3,4,5.
    expect(await history.series({ cluster: 'step', metric: 'mvcc_up', from: T0, to: T0 + 5000, stepMs: 3000 })).toEqual([
      { labels: {}, points: [[T0, 1], [T0 + 3000, 4]] },
    ]);
  });

  it('replaces a point written twice for the same moment, the last value winning', async () => {
    const labels = { table: 't', database: 'app' };
    await history.append({ cluster: 'c', at: T0, samples: [{ metric: 'mvcc_table_dead_tuples', labels, value: 1 }] });
    await history.append({
      cluster: 'c',
      at: T0,
      samples: [
        { metric: 'mvcc_table_dead_tuples', labels: { database: 'app', table: 't' }, value: 2 },
        { metric: 'mvcc_table_dead_tuples', labels, value: 3 },
      ],
    });
    expect(await history.series({ cluster: 'c', metric: 'mvcc_table_dead_tuples', from: 0, to: T0 })).toEqual([{ labels: { database: 'app', table: 't' }, points: [[T0, 3]] }]);
  });

  it('upserts finding events and answers open ones and those open during a range', async () => {
    const e1 = event('a', 'idle-in-transaction|app||||', T0);
    const e2 = event('a', 'dead-tuples|app|public|t', T0, T0 + 5000);
    const e3 = event('b', 'idle-in-transaction|app||||', T0 + 1000);
    await history.saveEvents([e1, e2, e3]);
    await history.saveEvents([]);
    expect(await history.openEvents('a')).toEqual([e1]);
    expect(await history.openEvents('b')).toEqual([e3]);

    const closed = { ...e1, closedAt: T0 + 9000, severity: 'critical' as const, finding: finding('idle-in-transaction', 'worse') };
    await history.saveEvents([closed]);
    expect(await history.openEvents('a')).toEqual([]);
    expect(await history.events({ cluster: 'a' })).toEqual(expect.arrayContaining([closed, e2]));
    expect(await history.events({ cluster: 'a' })).toHaveLength(2);
    expect(await history.events({ cluster: 'a', from: T0 + 6000, to: T0 + 7000 })).toEqual([closed]);
    expect(await history.events({ from: T0 + 6000 })).toEqual([e3, closed]);
    expect(await history.events({ to: T0 - 1 })).toEqual([]);
  });

  it('records alerts, newest first, per cluster and up to a limit', async () => {
    const firing = alert('a', 'f1', T0, 'firing');
    const resolved = alert('a', 'f1', T0 + 60_000, 'resolved');
    const other = alert('b', 'f2', T0 + 30_000, 'firing');
    for (const a of [firing, resolved, other]) await history.saveAlert(a);
    expect(await history.alerts({})).toEqual([resolved, other, firing]);
    expect(await history.alerts({ cluster: 'a' })).toEqual([resolved, firing]);
    expect(await history.alerts({ limit: 1 })).toEqual([resolved]);
  });

  it('keeps server log events, newest first, by cluster, time range and class', async () => {
    const event = (cls: LogEvent['class'], at: number, summary: string): StoredLogEvent => ({
      cluster: 'a',
      at,
      event: { class: cls, time: at, pid: 7, severity: 'warning', summary, fields: { n: 1 }, source: { file: 'x.log', line: 1 } },
    });
    const lock = event('lock-timeout', T0 + 1000, "ALTER ROLE app PASSWORD 'hunter2' waited");
    const deadlock = event('deadlock', T0 + 2000, 'deadlock between processes 7, 8');
    await history.saveLogEvents([lock, deadlock, { ...event('deadlock', T0 + 1500, 'other cluster'), cluster: 'b' }]);
    await history.saveLogEvents([]);
    const redacted = { ...lock, event: { ...lock.event, summary: "ALTER ROLE app PASSWORD '…' waited" } };
    expect(await history.logEvents({ cluster: 'a', from: 0, to: T0 + 10_000 })).toEqual([deadlock, redacted]);
    expect(await history.logEvents({ cluster: 'a', from: 0, to: T0 + 10_000, classes: ['deadlock'] })).toEqual([deadlock]);
    expect(await history.logEvents({ cluster: 'a', from: T0 + 1001, to: T0 + 10_000, limit: 1 })).toEqual([deadlock]);
    expect(await history.logEvents({ cluster: 'a', from: 0, to: T0 + 10_000, limit: 1 })).toEqual([deadlock]);
  });

  it('prunes closed events and alerts older than the cut, and keeps open events', async () => {
    await history.prune(T0 + 45_000);
    expect(await history.logEvents({ cluster: 'a', from: 0, to: T0 + 100_000 })).toEqual([]);
    expect((await history.events({})).map((e) => [e.cluster, e.key, e.closedAt])).toEqual([['b', 'idle-in-transaction|app||||', undefined]]);
    expect(await history.alerts({})).toEqual([alert('a', 'f1', T0 + 60_000, 'resolved')]);
  });
});

describe('PostgreSQL history store', () => {
  const opened: HistoryStore[] = [];
  const track = async (store: Promise<HistoryStore>) => {
    const s = await store;
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  async function partitions(database: string): Promise<string[]> {
    const { rows } = await store.sql<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'mvcc_doctor.points'::regclass ORDER BY 1`,
      [],
      database,
    );
    return rows.map((r) => r.name);
  }

  it('migrates once when two daemons open a new store at the same moment, everything in the schema mvcc_doctor', async () => {
    const { name, url } = await freshDatabase();
    const [one, two] = await Promise.all([track(openStoreAt(url)), track(openStoreAt(url))]);
    const { rows: versions } = await store.sql<{ version: number }>('SELECT version FROM mvcc_doctor.schema_migrations ORDER BY version', [], name);
    expect(versions.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const { rows: tables } = await store.sql<{ schemaname: string; tablename: string }>(
      `SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 2`,
      [],
      name,
    );
    expect(tables).toEqual(['alerts', 'finding_events', 'log_events', 'points', 'schema_migrations', 'series'].map((tablename) => ({ schemaname: 'mvcc_doctor', tablename })));
    // Both work, and a series named by both at once is one series.
    const sample = [{ metric: 'mvcc_up', labels: {}, value: 1 }];
    await Promise.all([one!.append({ cluster: 'x', at: T0, samples: sample }), two!.append({ cluster: 'x', at: T0 + 1, samples: sample })]);
    const { rows: series } = await store.sql('SELECT * FROM mvcc_doctor.series', [], name);
    expect(series).toHaveLength(1);
    expect((await two!.series({ cluster: 'x', metric: 'mvcc_up', from: 0, to: T0 + 1 }))[0]!.points).toEqual([[T0, 1], [T0 + 1, 1]]);
    // Opening again applies nothing.
    await track(openStoreAt(url));
    expect((await store.sql('SELECT * FROM mvcc_doctor.schema_migrations', [], name)).rows).toHaveLength(MIGRATIONS.length);
  });

  it('refuses a store whose schema is newer than this build knows', async () => {
    const { name, url } = await freshDatabase();
    await (await openStoreAt(url)).close();
    await store.sql('INSERT INTO mvcc_doctor.schema_migrations VALUES (999, 0)', [], name);
    const error = await openStoreAt(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DoctorError);
    expect((error as DoctorError).code).toBe('usage');
    expect((error as DoctorError).line).toMatch(new RegExp(`has schema version 999, newer than this mvcc-doctor knows \\(${Math.max(...MIGRATIONS.map((m) => m.version))}\\): upgrade mvcc-doctor`));
    expect((error as DoctorError).line).not.toContain(PASSWORD);
  });

  it('keeps points in day partitions, made on demand with the next day ahead, and prunes whole days', async () => {
    const { name, url } = await freshDatabase();
    const history = await track(openStoreAt(url));
    const now = Date.now();
    const today = dayOf(now);
    for (const ago of [5, 3, 0]) await history.append({ cluster: 'a', at: now - ago * DAY_MS, samples: [{ metric: 'mvcc_up', labels: {}, value: ago }] });
    const names = (days: number[]) => days.map((d) => partitionName(today + d)).sort();
    expect(await partitions(name)).toEqual(names([-5, -4, -3, -2, 0, 1]));
    // Each point sits in its own day's partition.
    const { rows } = await store.sql<{ partition: string; v: number }>('SELECT tableoid::regclass::text AS partition, v FROM mvcc_doctor.points ORDER BY t', [], name);
    expect(rows).toEqual([5, 3, 0].map((ago) => ({ partition: `mvcc_doctor.${partitionName(today - ago)}`, v: ago })));

    // Days -5, -4 and -3 end before the cut (two days ago); day -2 holds the cut and stays.
    await history.prune(now - 2 * DAY_MS);
    expect(await partitions(name)).toEqual(names([-2, 0, 1]));
    expect((await history.series({ cluster: 'a', metric: 'mvcc_up', from: 0, to: now }))[0]!.points).toEqual([[now, 0]]);

    // Another daemon (its own cache of partitions) writes to a day this one just dropped: it is made again.
    const other = await track(openStoreAt(url));
    const yesterday = (today - 1) * DAY_MS + DAY_MS / 2;
    await other.append({ cluster: 'b', at: yesterday, samples: [{ metric: 'mvcc_up', labels: {}, value: 1 }] });
    await history.prune(today * DAY_MS);
    expect(await partitions(name)).toEqual(names([0, 1]));
    await other.append({ cluster: 'b', at: yesterday + 1, samples: [{ metric: 'mvcc_up', labels: {}, value: 2 }] });
    expect((await other.series({ cluster: 'b', metric: 'mvcc_up', from: 0, to: now }))[0]!.points).toEqual([[yesterday + 1, 2]]);
    expect(await partitions(name)).toEqual(names([-1, 0, 1]));
  });

  it('takes the password from a .pgpass file when the URL has none', async () => {
    const { name } = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'mvcc-pgpass-'));
    dirs.push(dir);
    const passfile = join(dir, 'pgpass');
    writeFileSync(passfile, `127.0.0.1:${store.port}:${name}:postgres:${PASSWORD}\n`);
    chmodSync(passfile, 0o600);
    const url = `postgresql://postgres@127.0.0.1:${store.port}/${name}`;
    const history = await track(openStoreAt(url, { PGPASSFILE: passfile }));
    await history.append({ cluster: 'a', at: T0, samples: [{ metric: 'mvcc_up', labels: {}, value: 1 }] });
    const error = await openStoreAt(url, {}).then(
      () => undefined,
      (e: unknown) => e as DoctorError,
    );
    expect(error?.code).toBe('auth');
  });
});
