import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './helpers/pools.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const viteNode = fileURLToPath(new URL('../../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const fixture = 'packages/pg/test/fixtures/crash-child.ts';

interface ChildRun {
  backendPid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run the crashing app in its own process; for "sigterm", send the signal once its transaction is open. */
function runChild(port: number, mode: 'exception' | 'rejection' | 'sigterm'): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteNode, fixture, String(port), mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let backendPid = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const line = /\{"backendPid":\d+\}/.exec(stdout)?.[0];
      if (line && !backendPid) {
        backendPid = JSON.parse(line).backendPid;
        if (mode === 'sigterm') child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ backendPid, code, signal, stderr }));
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  });
}

describe('crash handlers: open transactions are rolled back and reported before the process exits', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ label: 'pg-crash', log: { statement: 'all' } });
    await cluster.sql('CREATE TABLE t (id int)');
  });
  afterAll(() => cluster?.destroy());

  it.each([
    ['exception', 'crash: uncaught exception', { code: 1, signal: null }],
    ['rejection', 'crash: unhandled rejection', { code: 1, signal: null }],
    ['sigterm', 'SIGTERM', { code: null, signal: 'SIGTERM' }],
  ] as const)('on %s', async (mode, cause, exit) => {
    const run = await runChild(cluster.port, mode);
    expect(run.backendPid).toBeGreaterThan(0);
    expect({ code: run.code, signal: run.signal }).toEqual(exit); // ends as it would have without the handlers
    // The report: the cause, then each open transaction with its origin, job and backend pid.
    expect(run.stderr).toContain(cause);
    expect(run.stderr).toMatch(
      new RegExp(`rolling back transaction opened at packages/pg/test/fixtures/crash-child\\.ts:\\d+ \\(backend pid ${run.backendPid}, nightly-import, open \\d+ ms, idle \\d+ ms\\)`),
    );
    expect(run.stderr).toContain('crash-child.ts');
    // The server log shows that backend's ROLLBACK: rolled back by the handler, not merely by the disconnect.
    await until(async () => (await cluster.sql('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [run.backendPid])).rowCount === 0, 'the backend to exit');
    expect(cluster.readLog()).toMatch(new RegExp(`\\[${run.backendPid}\\] .*statement: ROLLBACK`));
    expect((await cluster.sql('SELECT count(*)::int AS n FROM t')).rows[0]?.n).toBe(0);
  });
});
