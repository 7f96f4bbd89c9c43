/**
 * `npm run bench:store` — why serve's embedded history is node:sqlite: the daemon's write pattern (one observation
 * of --samples series every 15 s, --observations of them) on node:sqlite through the embedded store, and on PGlite
 * (PostgreSQL in WASM, the other engine that needs no server), each in a process of its own. PGlite is installed
 * from npm into a temp directory for the run: the project does not depend on it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { table } from './timing.js';

const { values } = parseArgs({ options: { observations: { type: 'string', default: '2000' }, samples: { type: 'string', default: '300' } } });
const RUNNER = fileURLToPath(new URL('./store-engine-run.mjs', import.meta.url));
const [major] = process.versions.node.split('.').map(Number);
if (major! < 22) {
  console.error(`node:sqlite needs Node.js 22.13 or newer; this is ${process.version}`);
  process.exit(2);
}

const prefix = join(tmpdir(), 'mvcc-doctor-bench-pglite');
if (!existsSync(join(prefix, 'node_modules/@electric-sql/pglite'))) {
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-package-lock', '@electric-sql/pglite'], { stdio: 'inherit' });
}
const pglite = join(prefix, 'node_modules/@electric-sql/pglite/dist/index.js');

interface Result {
  engine: string;
  openMs: number;
  p50Ms: number;
  p99Ms: number;
  rssMB: number;
  bytesPerPoint: number;
  queryMs: number;
  points: number;
}

const results: Result[] = [];
for (const engine of ['node-sqlite', 'pglite']) {
  const dir = mkdtempSync(join(tmpdir(), `mvcc-bench-store-${engine}-`));
  try {
    const out = execFileSync(process.execPath, [RUNNER, engine, values.observations, values.samples, dir, pglite], { encoding: 'utf8', maxBuffer: 1 << 24 });
    results.push(JSON.parse(out.trim().split('\n').at(-1)!) as Result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const [ours, peer] = results as [Result, Result];
const f = (n: number, digits = 1) => n.toFixed(digits);
console.log(`\n${values.observations} observations of ${values.samples} series each (${f((Number(values.observations) * 15) / 3600)} h at 15 s), Node.js ${process.version}\n`);
console.log(
  table(
    ['', 'node:sqlite (embedded store)', 'PGlite', 'PGlite / ours'],
    [
      ['open (ms)', f(ours.openMs), f(peer.openMs), f(peer.openMs / ours.openMs)],
      ['write one observation, p50 (ms)', f(ours.p50Ms, 2), f(peer.p50Ms, 2), f(peer.p50Ms / ours.p50Ms)],
      ['write one observation, p99 (ms)', f(ours.p99Ms, 2), f(peer.p99Ms, 2), f(peer.p99Ms / ours.p99Ms)],
      ['process RSS (MB)', f(ours.rssMB, 0), f(peer.rssMB, 0), f(peer.rssMB / ours.rssMB)],
      ['bytes per point on disk', f(ours.bytesPerPoint), f(peer.bytesPerPoint), f(peer.bytesPerPoint / ours.bytesPerPoint)],
      [`read one series (${ours.points} points, ms)`, f(ours.queryMs), f(peer.queryMs), f(peer.queryMs / ours.queryMs)],
    ],
  ),
);
