import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** The README's `npm run demo:serve`, as the user runs it (the built bin): up, a dashboard with the incident, Ctrl-C, gone. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/doctor/bin/mvcc-doctor.js');

it('demo --serve: the faulty cluster and the leaking app under the daemon, its dashboard and metrics, until Ctrl-C', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += String(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (out += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /dashboard: (\S+)/.exec(out)?.[1];
        if (found) {
          clearInterval(timer);
          resolve(found);
        }
      }, 100);
      void exited.then((code) => reject(new Error(`demo --serve exited with ${code}: ${out}`)));
    });
    expect(out).toContain('Press Ctrl-C to stop and remove everything.');
    expect(await (await fetch(url)).text()).toContain('<title>');
    // The first observation: the incident's findings, the app's leaked transaction with the line that opened it.
    let findings: { open: { check: string; finding: { origin?: { app?: string; origin?: string } } }[] } = { open: [] };
    for (let i = 0; i < 100 && findings.open.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      findings = (await (await fetch(new URL('/api/findings?cluster=incident', url))).json()) as typeof findings;
    }
    const checks = new Set(findings.open.map((e) => e.check));
    for (const check of ['lock-blocking', 'idle-in-transaction', 'prepared-transaction', 'replication-slot', 'autovacuum-disabled']) expect(checks, check).toContain(check);
    expect(findings.open.find((e) => e.finding.origin?.app === 'orders-api')?.finding.origin?.origin).toMatch(/demo-app\.js:\d+$/);
    const metrics = await (await fetch(new URL('/metrics', url))).text();
    expect(metrics).toMatch(/^mvcc_app_heap_used_bytes\{cluster="incident",app="orders-api"\} \d+$/m);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  const dir = /removed (\S+)/.exec(out)?.[1];
  expect(dir).toBeTruthy();
  expect(existsSync(dir!)).toBe(false);
});
