import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';
import { renderCheckDoc } from '../../src/report/check-doc.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '../../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

// Like ESLint's rule list: a check without its own tested file, or without its generated page, fails the build.
describe.each(CHECKS.map((c) => [c.id, c] as const))('check %s', (id, check) => {
  const testFile = join(here, `${id}.test.ts`);

  it(`has test/check/${id}.test.ts, which runs it through the check tester`, () => {
    expect(existsSync(testFile), `test/check/${id}.test.ts is missing`).toBe(true);
    const source = readFileSync(testFile, 'utf8');
    const imported = source.match(new RegExp(`^import (\\w+) from '\\.\\./\\.\\./src/checks/${id}\\.js';$`, 'm'))?.[1];
    expect(imported, `${id}.test.ts must import the check from src/checks/${id}.ts`).toBeDefined();
    expect(source).toMatch(/^import \{[^}]*\btestCheck\b[^}]*\} from '\.\/check-tester\.js';$/m);
    expect(source).toMatch(new RegExp(`^testCheck\\(${imported}, \\{`, 'm'));
  });

  it(`has docs/checks/${id}.md, as the generator writes it now (npx vite-node packages/doctor/scripts/docs-checks.ts)`, () => {
    const page = join(root, 'docs/checks', `${id}.md`);
    expect(existsSync(page), `docs/checks/${id}.md is missing`).toBe(true);
    expect(readFileSync(page, 'utf8'), `docs/checks/${id}.md is stale`).toBe(renderCheckDoc(check));
  });

  it('is linked from the README and explains its mechanism in at most two sentences', () => {
    expect(readme).toContain(`[\`${id}\`](docs/checks/${id}.md)`);
    expect(check.meta.title.length).toBeGreaterThan(0);
    expect(check.meta.why.split(/(?<=[.!?])\s+(?=[A-Z])/).length).toBeLessThanOrEqual(2);
  });
});

it('check ids are unique, and the registry is sorted by id', () => {
  const ids = CHECKS.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual([...ids].sort());
});

it('docs/checks has a page for every check and nothing else', () => {
  expect(readdirSync(join(root, 'docs/checks')).sort()).toEqual(CHECKS.map((c) => `${c.id}.md`).sort());
});
