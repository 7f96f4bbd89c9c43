import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { diagnose } from '../../src/diagnose.js';
import { Cluster, waitFor } from '@mvcc-doctor/lab';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const viteNode = `${root}node_modules/vite-node/vite-node.mjs`;
const fixture = 'packages/doctor/test/fixtures/leaky-app.ts';
/** The line of the withTransaction call in the fixture: what check must name. */
const OPENING_LINE = 13;

describe('a real app process that leaks a transaction: check names its code', () => {
  let cluster: Cluster;
  let app: ChildProcess;
  let registry: string;
  let pid: number;

  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'app' });
    await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, payload text); INSERT INTO orders VALUES (1, NULL), (2, NULL)');
    app = spawn(process.execPath, [viteNode, fixture, cluster.connectionString(), 'orders'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    registry = await new Promise<string>((resolve, reject) => {
      app.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(String(chunk)) as { registry: string }).registry));
      app.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
    });
    // Wait until the server shows the leaked session idle in transaction.
    pid = await waitFor(async () => {
      const { rows } = await cluster.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '/*app=''orders''%'`);
      return rows[0]?.pid;
    }, 'the leaked transaction');
  });
  afterAll(async () => {
    app?.kill('SIGKILL');
    await cluster?.destroy();
  });

  const conn = () => resolveConnOptions({ conninfo: cluster.connectionString() });

  it('from the tags alone: the idle-in-transaction finding names the file, line and route', async () => {
    const report = await diagnose(conn(), { thresholds: { idleInTransactionSeconds: 0 } });
    const finding = report.findings.find((f) => f.check === 'idle-in-transaction' && f.subject.pid === pid);
    expect(finding?.origin).toMatchObject({ app: 'orders', origin: `${fixture}:${OPENING_LINE}`, route: 'POST /orders' });
  });

  it('with --app: the finding carries the opening stack from the app registry, joined by backend pid', async () => {
    const report = await diagnose(conn(), { thresholds: { idleInTransactionSeconds: 0 }, apps: [registry] });
    const finding = report.findings.find((f) => f.check === 'idle-in-transaction' && f.subject.pid === pid);
    expect(finding?.origin?.stack).toContain(`leaky-app.ts:${OPENING_LINE}`);
    expect(finding?.origin?.process).toMatch(new RegExp(`^pid ${app.pid} `));
    expect(report.skipped.filter((s) => s.what === 'app')).toEqual([]);
  });

  it('an app registry that cannot be read is reported as skipped; the diagnosis stands', async () => {
    const report = await diagnose(conn(), { thresholds: { idleInTransactionSeconds: 0 }, apps: ['http://user:secret@127.0.0.1:1/'] });
    expect(report.skipped).toContainEqual({ what: 'app', reason: expect.stringMatching(/^could not read the app registry at http:\/\/127\.0\.0\.1:1\//) });
    expect(JSON.stringify(report)).not.toContain('secret');
    expect(report.findings.some((f) => f.check === 'idle-in-transaction')).toBe(true);
  });
});
