import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc/PID/stat's CPU fields (100 on every Linux we run on, but asked, not assumed). */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** What a process and its live descendants use now. */
export interface TreeUsage {
  /** utime + stime of the tree, plus the children each process has waited for (cutime + cstime). */
  cpuSeconds: number;
  /** The sum of VmRSS over the tree. */
  rssBytes: number;
}

export interface Stat {
  ppid: number;
  ticks: number;
}

/** Fields after the command (which may hold spaces and parentheses): state ppid … utime(14) stime cutime cstime. */
function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const field = (n: number) => Number(rest[n - 3]);
    return { ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process's parent and CPU ticks, from one pass over /proc. */
export type ProcTable = Map<number, Stat>;

export function procTable(): ProcTable {
  const all: ProcTable = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.set(Number(entry), stat);
  }
  return all;
}

/** The trees under `roots` (the roots included). */
function descendants(roots: number[], all: ProcTable): Map<number, Stat> {
  const tree = new Map<number, Stat>();
  for (const root of roots) {
    const stat = all.get(root);
    if (stat) tree.set(root, stat);
  }
  for (let grew = tree.size > 0; grew; ) {
    grew = false;
    for (const [pid, stat] of all) {
      if (!tree.has(pid) && tree.has(stat.ppid)) {
        tree.set(pid, stat);
        grew = true;
      }
    }
  }
  return tree;
}

/** What the processes `roots` and their live descendants use now. */
export function treeUsage(roots: number[], all: ProcTable = procTable()): TreeUsage {
  let ticks = 0;
  let rssBytes = 0;
  for (const [pid, stat] of descendants(roots, all)) {
    ticks += stat.ticks;
    rssBytes += readRss(pid);
  }
  return { cpuSeconds: ticks / TICKS, rssBytes };
}

/** CPU and memory of one process tree over a window: call `sample()` now and then, `summary()` at the end. */
export class UsageWatch {
  private first?: { at: number; cpu: number };
  private last?: { at: number; cpu: number };
  private rssMax = 0;
  private rssLast = 0;

  constructor(private readonly pids: number[]) {}

  /** `all`: one /proc pass shared by several watches sampled at once. */
  sample(all: ProcTable = procTable()): void {
    const { cpuSeconds: cpu, rssBytes: rss } = treeUsage(this.pids, all);
    const now = { at: performance.now(), cpu };
    this.first ??= now;
    this.last = now;
    this.rssMax = Math.max(this.rssMax, rss);
    this.rssLast = rss;
  }

  /** CPU as a percentage of one core over the window, RSS max and last (bytes). */
  summary(): { cpuPercent: number; cpuSeconds: number; seconds: number; rssMax: number; rssLast: number } {
    const seconds = this.first && this.last ? (this.last.at - this.first.at) / 1000 : 0;
    const cpuSeconds = this.first && this.last ? this.last.cpu - this.first.cpu : 0;
    return { cpuPercent: seconds > 0 ? (100 * cpuSeconds) / seconds : NaN, cpuSeconds, seconds, rssMax: this.rssMax, rssLast: this.rssLast };
  }
}

/**
 * Every process the bench starts, so that each is ended by its pid however the bench ends: `stopAll` on the way
 * out (SIGTERM, then SIGKILL after a grace period), and a SIGKILL from the exit hook if the bench dies first.
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) tryKill(child.pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the bench exits (however it exits). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export interface Started {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr. */
  output: () => string;
}

/** Start a process with its output captured; resolves once `ready` matches that output (or rejects if it exits first). */
export function startProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<Started & { match: RegExpExecArray }> {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopProcess(child);
      reject(new Error(`${command} did not get ready in time: ${output.slice(-500)}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = options.ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, output: () => output, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready: ${output.slice(-500)}`));
    });
  });
}

/** SIGTERM, and SIGKILL if it has not exited within `graceMs`. Resolves with how it ended. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  if (child.pid) tryKill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid && tryKill(child.pid, 'SIGKILL'), graceMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stopProcess(child)));
}
