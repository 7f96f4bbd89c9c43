import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

// A real vitest run of a failing file, with the digest as its reporter: the lines CI's tail will show.

const VITEST = createRequire(import.meta.url).resolve('vitest/vitest.mjs');
const DIGEST = fileURLToPath(new URL('./failure-digest.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mvcc-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vitest(): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VITEST, 'run'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: '1' } }, (error, stdout) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout }),
    );
  });
}

it('ends a failed run with one line per failed test, failed hook and unhandled error', async () => {
  // Globals: the fixture lives outside the repo, where `import 'vitest'` would not resolve.
  writeFileSync(join(dir, 'vitest.config.mjs'), `export default { test: { globals: true, include: ['*.check.mjs'], reporters: ['default', ${JSON.stringify(DIGEST)}] } };`);
  writeFileSync(
    join(dir, 'faults.check.mjs'),
    `describe('outer', () => {
      it('fails plainly', () => { expect(1).toBe(2); });
      it('passes', () => {});
      it('leaves a rejection behind', async () => { void Promise.reject(new Error('late boom')); await new Promise((r) => setTimeout(r, 50)); });
      describe('hooked', () => {
        beforeAll(() => { throw new Error('hook boom'); });
        it('never runs', () => {});
      });
    });`,
  );
  const { code, stdout } = await vitest();
  expect(code).toBe(1);
  const digest = stdout.slice(stdout.lastIndexOf('Failures, one line each:')).trim().split('\n');
  expect(digest).toEqual([
    'Failures, one line each:',
    '  faults.check.mjs > outer > hooked: Error: hook boom',
    '  faults.check.mjs > outer > fails plainly: AssertionError: expected 1 to be 2 // Object.is equality',
    '  unhandled while faults.check.mjs ran "leaves a rejection behind": Error: late boom (at faults.check.mjs:4)',
  ]);
  // After vitest's own summary: the last thing a run prints.
  expect(stdout.indexOf('Test Files')).toBeLessThan(stdout.lastIndexOf('Failures, one line each:'));
});

it('prints nothing when every test passes', async () => {
  writeFileSync(join(dir, 'faults.check.mjs'), `it('passes', () => { expect(1).toBe(1); });`);
  const { code, stdout } = await vitest();
  expect(code).toBe(0);
  expect(stdout).not.toContain('Failures');
});
