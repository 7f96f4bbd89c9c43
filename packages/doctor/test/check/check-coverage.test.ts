import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';

const here = new URL('.', import.meta.url).pathname;
const tests = readdirSync(here)
  .filter((f) => f.endsWith('.test.ts') && f !== 'check-coverage.test.ts')
  .map((f) => readFileSync(join(here, f), 'utf8'))
  .join('\n');
const readme = readFileSync(join(here, '../../../../README.md'), 'utf8');

// Like ESLint's rule tester: a check without a real-cluster proof or without its documentation fails the build.
describe.each(CHECKS.map((c) => [c.id, c] as const))('check %s', (id, check) => {
  it('is proven by a real-cluster test in test/check', () => {
    expect(tests).toMatch(new RegExp(`['"\`]${id}['"\`]`));
  });

  it('is documented in the README and explains its mechanism in at most two sentences', () => {
    expect(readme).toContain(`\`${id}\``);
    expect(check.meta.title.length).toBeGreaterThan(0);
    expect(check.meta.why.split(/(?<=[.!?])\s+(?=[A-Z])/).length).toBeLessThanOrEqual(2);
  });
});

it('check ids are unique', () => {
  expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length);
});
