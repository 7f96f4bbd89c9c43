import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

it('npm install links the mvcc-doctor bin, and it runs the built CLI', () => {
  // The README's `npx mvcc-doctor …`: the bin npm linked at install time, run as a user would.
  const out = execFileSync(`${root}node_modules/.bin/mvcc-doctor`, ['--version'], { encoding: 'utf8' });
  expect(out.trim()).toBe(VERSION);
});
