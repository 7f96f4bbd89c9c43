import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnOptions } from '../../src/connect/conn-options.js';
import { diagnose } from '../../src/diagnose.js';
import { Cluster, waitFor } from '@mvcc-doctor/lab';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const viteNode = `${root}node_modules/vite-node/vite-node.mjs`;
const fixture = 'packages/doctor/test/fixtures/leaky-read-app.ts';
/** The lines of the withTransaction and checkout calls in the fixture: what check must name. */
const TRANSACTION_LINE = 16;
const CHECKOUT_LINE = 24;

/** Start the fixture app; resolves with its registry URL and a promise of its "done" line. */
function startApp(cluster: Cluster, mode: 'leak' | 'healthy'): Promise<{ app: ChildProcess; registry: string; done: Promise<void> }> {
  const app = spawn(process.execPath, [viteNode, fixture, cluster.connectionString(), mode], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: app.stdout! });
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { registry?: string; done?: boolean };
      if (message.registry) resolve({ app, registry: message.registry, done });
      if (message.done) finished();
    });
    app.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
  });
}

describe('a real app process that leaks read-only transactions: check names them, though they pin nothing', () => {
  let cluster: Cluster;
  let leaky: ChildProcess | undefined;
  let healthy: ChildProcess | undefined;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'app-read-leak' });
    await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10)');
  });
  afterAll(async () => {
    leaky?.kill('SIGKILL');
    healthy?.kill('SIGKILL');
    await cluster?.destroy();
  });

  const conn = () => resolveConnOptions({ conninfo: cluster.connectionString() });

  it('healthy app (the same reads, finished): silent, even at threshold 0', async () => {
    const started = await startApp(cluster, 'healthy');
    healthy = started.app;
    await started.done;
    const report = await diagnose(conn(), { thresholds: { idleInTransactionSeconds: 0 }, apps: [started.registry] });
    expect(report.findings.filter((f) => f.check === 'idle-in-transaction')).toEqual([]);
    expect(report.skipped.filter((s) => s.what === 'app')).toEqual([]);
    healthy.kill('SIGKILL');
  });

  it('leaking app: both sessions reported with what they hold, what would wait, file, line, route or job, and (with --app) the stack', async () => {
    const started = await startApp(cluster, 'leak');
    leaky = started.app;
    const sessions = await waitFor(async () => {
      // The transaction is named by its statements' comment, the checked-out client (whose statements carry none) by
      // application_name.
      const { rows } = await cluster.sql<{ pid: number; who: string; backend_xid: string | null; backend_xmin: string | null }>(
        `SELECT pid, application_name || ' ' || query AS who, backend_xid, backend_xmin FROM pg_stat_activity
         WHERE state = 'idle in transaction' AND (application_name LIKE 'reports@%' OR query LIKE '/*app=''reports''%')
           AND query ILIKE '%from orders%' ORDER BY pid`,
      );
      return rows.length === 2 ? rows : undefined;
    }, 'the two leaked sessions');
    // Neither pins the horizon: the old check could not see them.
    expect(sessions.map((s) => [s.backend_xid, s.backend_xmin])).toEqual([
      [null, null],
      [null, null],
    ]);
    const byLine = (line: number) => sessions.find((s) => s.who.includes(`leaky-read-app.ts:${line}`) || s.who.includes(`leaky-read-app.ts%3A${line}`))!.pid;

    const silent = await diagnose(conn());
    expect(silent.findings.filter((f) => f.check === 'idle-in-transaction')).toEqual([]); // seconds old, default threshold 60 s

    const report = await diagnose(conn(), { thresholds: { idleInTransactionSeconds: 0 }, apps: [started.registry] });
    const finding = (pid: number) => report.findings.find((f) => f.check === 'idle-in-transaction' && f.subject.pid === pid);

    const transaction = finding(byLine(TRANSACTION_LINE));
    expect(transaction).toMatchObject({ severity: 'warning', origin: { app: 'reports', origin: `${fixture}:${TRANSACTION_LINE}`, route: 'GET /orders/count' } });
    expect(transaction!.summary).toContain('holding AccessShareLock on public.orders: ALTER TABLE, DROP TABLE, TRUNCATE, VACUUM FULL');
    expect(transaction!.summary).toContain('It does not pin the horizon.');
    expect(transaction!.origin?.stack).toContain(`leaky-read-app.ts:${TRANSACTION_LINE}`);
    expect(transaction!.origin?.process).toMatch(new RegExp(`^pid ${leaky.pid} `));

    const checkedOut = finding(byLine(CHECKOUT_LINE));
    expect(checkedOut).toMatchObject({ severity: 'warning', origin: { app: 'reports', origin: `${fixture}:${CHECKOUT_LINE}`, route: 'export' } });
    expect(checkedOut!.summary).toContain('holding AccessShareLock on public.orders');
    expect(checkedOut!.origin?.stack).toContain(`leaky-read-app.ts:${CHECKOUT_LINE}`);
    expect(report.findings.filter((f) => f.check === 'xmin-horizon')).toEqual([]);

    // The registry's idle time for the checked-out client counts from its last statement, not from the checkout.
    const registry = (await (await fetch(started.registry)).json()) as { transactions: { kind: string; ageMs: number; idleMs: number; state: string }[] };
    const client = registry.transactions.find((t) => t.kind === 'client')!;
    expect(client.state).toBe('idle');
    expect(client.ageMs - client.idleMs).toBeGreaterThanOrEqual(250);
  });
});
