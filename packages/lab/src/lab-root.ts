import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Env var naming the directory clusters are made in; the test run sets it so teardown can sweep it. */
export const LAB_ROOT_ENV = 'MVCC_DOCTOR_LAB_ROOT';

/** Where cluster temp dirs go; created world-traversable so the server's OS user can reach its own dir. */
export function labRoot(explicit?: string): string {
  const root = resolve(explicit ?? process.env[LAB_ROOT_ENV] ?? join(tmpdir(), 'mvcc-doctor-lab'));
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o755);
  }
  return root;
}

/** Cluster dirs of this process, with their postmaster pid, so an early exit still cleans up. */
const live = new Map<string, number | undefined>();
let hooked = false;

export function remember(dir: string, pid: number | undefined): void {
  live.set(dir, pid);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const [path, postmaster] of live) {
      // Immediate shutdown: the postmaster takes its backends down with it.
      if (postmaster) tryKill(postmaster, 'SIGQUIT');
      rmSync(path, { recursive: true, force: true });
    }
  });
}

export function forget(dir: string): void {
  live.delete(dir);
}

/** A postgres process whose data dir lies under `root`. */
export interface LeftoverServer {
  pid: number;
  dataDir: string;
}

/** Postmasters still running from data dirs under `root` (read from /proc, Linux only). */
export function findLeftoverServers(root: string): LeftoverServer[] {
  if (!existsSync('/proc')) return [];
  const found: LeftoverServer[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('postgres')) continue;
    const dataDir = argv[argv.indexOf('-D') + 1];
    if (argv.includes('-D') && dataDir?.startsWith(`${root}/`)) found.push({ pid: Number(entry), dataDir });
  }
  return found;
}

/** Take down leftover servers under `root` and remove their dirs; returns what was found. */
export function sweepLab(root: string): LeftoverServer[] {
  const leftovers = findLeftoverServers(root);
  for (const { pid } of leftovers) tryKill(pid, 'SIGKILL');
  return leftovers;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
