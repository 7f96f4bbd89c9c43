import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { VERIFICATIONS } from '../../src/verify/verifications.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '../../../..');
const doc = readFileSync(join(root, 'docs/verify.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tests = readdirSync(here)
  .filter((name) => name.endsWith('.test.ts') && name !== 'verify-coverage.test.ts')
  .map((name) => readFileSync(join(here, name), 'utf8'))
  .join('\n');

// Like check-coverage: a verification without its documented row, its README mention and a real-cluster test
// that finds it, fails the build.
it.each(VERIFICATIONS.map((v) => [v.id]))('%s is documented, in the README, and found by a real-cluster test', (id) => {
  expect(doc).toMatch(new RegExp(`^\\| \`${id}\` \\| (critical|warning) \\|`, 'm'));
  // Its row in the verifications table and its row in the evidence table.
  expect(doc.split('\n').filter((line) => line.startsWith(`| \`${id}\` | `))).toHaveLength(2);
  expect(readme).toContain(`\`${id}\``);
  expect(tests).toMatch(new RegExp(`findingsOf\\((report|full|structural), '${id}'\\)`));
});

it('verification ids are unique', () => {
  const ids = VERIFICATIONS.map((v) => v.id);
  expect(new Set(ids).size).toBe(ids.length);
});
