// Writes docs/checks/<id>.md for every check from its meta: `npx vite-node packages/doctor/scripts/docs-checks.ts`.
// check-coverage.test.ts fails when a page is missing or differs from what this writes now.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHECKS } from '../src/checks/index.js';
import { renderCheckDoc } from '../src/report/check-doc.js';

const dir = fileURLToPath(new URL('../../../docs/checks/', import.meta.url));
mkdirSync(dir, { recursive: true });
const ids = new Set(CHECKS.map((c) => c.id));
// A page whose check is gone would mislead: remove it.
for (const file of readdirSync(dir)) if (file.endsWith('.md') && !ids.has(file.slice(0, -3))) rmSync(dir + file);
for (const check of CHECKS) writeFileSync(`${dir}${check.id}.md`, renderCheckDoc(check));
console.log(`wrote ${CHECKS.length} pages to docs/checks/`);
