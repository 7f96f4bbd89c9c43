import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/monitor/store/embedded-store.js';

/** `serve` as a user runs it: the built bin as a process, stopped by signals, killed with -9, fed bad input. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');
const PASSWORD = 'pr0cess-Secret9';

function run(args: string[], node = process.execPath): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(node, [BIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

/** Every daemon a test started: a failed test must not leave one running (afterAll stops them by pid). */
const started: ChildProcess[] = [];

/** Start the daemon; resolves with its dashboard URL once it printed it. */
function startDaemon(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += String(chunk)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const url = /dashboard: (\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function points(url: string): Promise<number> {
  const body = (await (await fetch(new URL('/api/series?cluster=live&metric=mvcc_up&from=0&step=0', url))).json()) as { series: { points: unknown[] }[] };
  return body.series[0]?.points.length ?? 0;
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('serve as a process', () => {
  let cluster: Cluster;
  let dir: string;
  const target = () => `live=postgresql://postgres:${PASSWORD}@127.0.0.1:${cluster.port}/postgres`;

  beforeAll(async () => {
    cluster = await Cluster.create();
    dir = mkdtempSync(join(tmpdir(), 'mvcc-serve-proc-'));
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops cleanly on SIGTERM, with exit code 0', async () => {
    const daemon = await startDaemon(['--target', target(), '--data', join(dir, 'term'), '--listen', '127.0.0.1:0', '--interval', '1s']);
    await until('a first observation', async () => (await points(daemon.url)) >= 1);
    const exit = exited(daemon.child);
    daemon.child.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(daemon.stderr()).toContain('stopping');
    expect(daemon.stderr()).not.toContain(PASSWORD);
    // Its sessions are gone with it.
    const { rows } = await cluster.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mvcc-doctor'`);
    expect(rows[0]!.n).toBe(0);
  });

  it('survives kill -9: what it stored before is there, and it starts again on the same directory', async () => {
    const data = join(dir, 'kill');
    const first = await startDaemon(['--target', target(), '--data', data, '--listen', '127.0.0.1:0', '--interval', '1s']);
    await until('five observations', async () => (await points(first.url)) >= 5);
    const seen = await points(first.url);
    const exit = exited(first.child);
    first.child.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');

    const store = openEmbeddedStore(data);
    const [series] = await store.series({ cluster: 'live', metric: 'mvcc_up', from: 0, to: Date.now() });
    await store.close();
    expect(series!.points.length).toBeGreaterThanOrEqual(seen);

    const second = await startDaemon(['--target', target(), '--data', data, '--listen', '127.0.0.1:0', '--interval', '1s']);
    await until('new observations after the restart', async () => (await points(second.url)) > seen + 1);
    const exit2 = exited(second.child);
    second.child.kill('SIGTERM');
    expect((await exit2).code).toBe(0);
  });

  it('refuses bad input with one line and exit 3', async () => {
    const cases: [string[], RegExp][] = [
      [['serve'], /^mvcc-doctor: usage error: serve needs at least one --target NAME=postgresql:\/\/…\n$/],
      [['serve', '--target', 'no-equals-sign'], /^mvcc-doctor: usage error: --target takes NAME=postgresql:\/\/… /],
      [['serve', '--target', target(), '--listen', '0.0.0.0:0'], /^mvcc-doctor: usage error: --listen 0\.0\.0\.0: any address but loopback needs --auth-token/],
      [['serve', '--target', target(), '--listen', 'nowhere'], /^mvcc-doctor: usage error: --listen takes HOST:PORT/],
      [['serve', '--target', target(), '--interval', '0s'], /^mvcc-doctor: usage error: --interval must be at least 1000ms/],
      [['serve', '--target', target(), '--target', target()], /^mvcc-doctor: usage error: two targets are named live\n$/],
      [['serve', '--target', target(), '--webhook', 'ftp://x'], /^mvcc-doctor: usage error: --webhook takes an http\(s\) URL/],
      [['serve', '--target', target(), '--store', 'mysql://x'], /^mvcc-doctor: usage error: --store takes a postgresql:\/\/ URL\n$/],
      [['serve', '--config', join(dir, 'missing.json')], /^mvcc-doctor: usage error: cannot read --config .*missing\.json: ENOENT\n$/],
      [['serve', '--target', target(), '--app', 'not-a-url'], /^mvcc-doctor: usage error: --app takes an http\(s\) URL, or CLUSTER=URL\n$/],
    ];
    const badConfig = join(dir, 'bad.json');
    writeFileSync(badConfig, JSON.stringify({ target: [target()], intervall: '5s' }));
    cases.push([['serve', '--config', badConfig], /^mvcc-doctor: usage error: --config .*bad\.json: unknown setting "intervall"/]);
    for (const [args, line] of cases) {
      const outcome = await run(args);
      expect(outcome.code, args.join(' ')).toBe(3);
      expect(outcome.stderr, args.join(' ')).toMatch(line);
      expect(outcome.stderr.split('\n'), args.join(' ')).toHaveLength(2);
      expect(outcome.stderr).not.toContain(PASSWORD);
    }
  });

  it('a config file gives the same daemon as the flags, and a port in use is one line', async () => {
    const config = join(dir, 'serve.json');
    writeFileSync(config, JSON.stringify({ target: [target()], data: join(dir, 'config'), listen: '127.0.0.1:0', interval: '1s' }));
    const daemon = await startDaemon(['--config', config]);
    await until('a first observation', async () => (await points(daemon.url)) >= 1);
    const port = new URL(daemon.url).port;
    const busy = await run(['serve', '--target', target(), '--data', join(dir, 'busy'), '--listen', `127.0.0.1:${port}`]);
    expect(busy.code).toBe(3);
    expect(busy.stderr).toBe(`mvcc-doctor: usage error: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
    const exit = exited(daemon.child);
    daemon.child.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });

  it.runIf(Number(process.versions.node.split('.')[0]) >= 22)('on Node 20 (no node:sqlite) the embedded store says what to do, in one line', async () => {
    const node20 = '/usr/bin/node';
    const version = await new Promise<string>((resolve) => execFile(node20, ['--version'], (_e, out) => resolve(out.trim())));
    if (!version.startsWith('v20.')) return;
    const outcome = await run(['serve', '--target', target(), '--data', join(dir, 'node20'), '--listen', '127.0.0.1:0'], node20);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toMatch(/^mvcc-doctor: not installed: the embedded history store needs Node\.js 22\.13 or newer \(node:sqlite\); this is v20\.[\d.]+: upgrade, or keep history in PostgreSQL with --store postgresql:\/\/…\n$/);
  });
});
