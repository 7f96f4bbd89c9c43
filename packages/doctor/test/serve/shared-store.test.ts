import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorError } from '../../src/connect/doctor-error.js';
import { resolveServeConfig } from '../../src/monitor/serve-config.js';
import { startServe, type Daemon } from '../../src/monitor/serve.js';
import { until } from './until.js';

const STORE_PASSWORD = 'store-pw-29';
const WRONG_PASSWORD = 'not-the-pw-31';


interface SeriesBody {
  series: { labels: Record<string, string>; points: [number, number][] }[];
}

async function seriesOf(daemon: Daemon, cluster: string): Promise<{ status: number; body: SeriesBody & { error?: string } }> {
  const response = await fetch(new URL(`/api/series?cluster=${cluster}&metric=mvcc_up`, daemon.url));
  const text = await response.text();
  expect(text).not.toContain(STORE_PASSWORD);
  return { status: response.status, body: JSON.parse(text) as SeriesBody };
}

describe('serve: two daemons, each with its own target, share one PostgreSQL store', () => {
  let store: Cluster;
  let target: Cluster;
  let storeUrl: string;
  const daemons: Daemon[] = [];
  const logs: string[] = [];

  const config = (name: string, url = storeUrl) =>
    resolveServeConfig({ target: [`${name}=postgresql://postgres@127.0.0.1:${target.port}/postgres`], store: url, listen: '127.0.0.1:0', interval: '1s' }, {});

  beforeAll(async () => {
    [store, target] = await Promise.all([Cluster.create({ password: STORE_PASSWORD, label: 'store' }), Cluster.create({ label: 'target' })]);
    await store.sql('CREATE DATABASE history');
    storeUrl = `postgresql://postgres:${STORE_PASSWORD}@127.0.0.1:${store.port}/history`;
    // Both start at once: the second waits for the first one's migration instead of failing on it.
    daemons.push(...(await Promise.all(['east', 'west'].map((name) => startServe(config(name), (line) => logs.push(line))))));
  });

  afterAll(async () => {
    await Promise.allSettled(daemons.map((d) => d.stop()));
    await Promise.all([store?.destroy(), target?.destroy()]);
  });

  it("answers each daemon's own cluster from the shared store, which holds both", async () => {
    const [east, west] = daemons as [Daemon, Daemon];
    for (const [daemon, name] of [
      [east, 'east'],
      [west, 'west'],
    ] as const) {
      const { body } = await until(`three observations of ${name}`, async () => {
        const answer = await seriesOf(daemon, name);
        return (answer.body.series[0]?.points.length ?? 0) >= 3 && answer;
      });
      expect(body.series).toEqual([{ labels: {}, points: expect.any(Array) }]);
      expect(body.series[0]!.points.every(([, v]) => v === 1)).toBe(true);
    }
    // A daemon's API knows only its own targets, though the store it reads holds the other's history too.
    expect(await seriesOf(east, 'west')).toMatchObject({ status: 400, body: { error: 'no cluster is named "west"' } });
    const shared = await east.store.series({ cluster: 'west', metric: 'mvcc_up', from: 0, to: Date.now() });
    expect(shared[0]!.points.length).toBeGreaterThanOrEqual(3);
    const { rows } = await store.sql<{ cluster: string; series: number }>(
      'SELECT cluster, count(*)::int AS series FROM mvcc_doctor.series GROUP BY cluster ORDER BY cluster',
      [],
      'history',
    );
    expect(rows.map((r) => r.cluster)).toEqual(['east', 'west']);
    expect(rows.every((r) => r.series > 10)).toBe(true);
    expect(logs.join('\n')).not.toContain(STORE_PASSWORD);
  });

  it('stops a daemon whose --store password is wrong with one line that does not show it', async () => {
    const wrong = `postgresql://postgres:${WRONG_PASSWORD}@127.0.0.1:${store.port}/history`;
    const error = await startServe(config('north', wrong), (line) => logs.push(line)).then(
      (daemon) => {
        daemons.push(daemon);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DoctorError);
    expect((error as DoctorError).code).toBe('auth');
    const line = (error as DoctorError).line;
    expect(line).toMatch(/^authentication failed: history store: password authentication failed for user "postgres" \(postgres@127\.0\.0\.1:\d+\/history; /);
    expect(line).not.toContain('\n');
    expect(line).not.toContain(WRONG_PASSWORD);
    expect(logs.join('\n')).not.toContain(WRONG_PASSWORD);
  });
});
