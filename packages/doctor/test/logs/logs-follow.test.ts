import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** `logs --follow` as a process on a live file: events as they are written, across a rotation by rename, until Ctrl-C. */
const BIN = fileURLToPath(new URL('../../bin/mvcc-doctor.js', import.meta.url));
const line = (pid: number, text: string) => `2026-12-01 20:00:0${pid % 10}.123 UTC [${pid}] postgres@app LOG:  ${text}\n`;
const warning = (pid: number, left: number) => `2026-12-01 20:00:0${pid % 10}.123 UTC [${pid}] postgres@app WARNING:  database "app" must be vacuumed within ${left} transactions\n`;

interface WarningEvent {
  class: string;
  fields: { remaining_xids: number };
}

/** `logs PATH --follow --ndjson` started: its events so far, its stderr, a wait for n events, and its exit code. */
function follow(path: string) {
  const child = spawn(process.execPath, [BIN, 'logs', path, '--follow', '--ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += String(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (err += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as WarningEvent);
  return {
    child,
    exited,
    events,
    stderr: () => err,
    /** It says when it follows: what is written from then on is read, whatever the machine's load. */
    async following() {
      for (let i = 0; i < 1200 && !err.includes('following'); i++) await new Promise((r) => setTimeout(r, 50));
    },
    async until(n: number) {
      for (let i = 0; i < 1200 && events().length < n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(events()).toHaveLength(n);
    },
  };
}

it('--follow --ndjson prints each wraparound warning as it is written, also after the log is rotated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-follow-'));
  const log = join(dir, 'postgresql.log');
  writeFileSync(log, [1, 2, 3, 4].map((pid) => line(pid, 'connection authorized: user=postgres database=app')).join(''));
  const { child, exited, events, stderr, following, until } = follow(log);
  try {
    await following();
    expect(stderr()).toBe(`mvcc-doctor: following ${log} from its end (Ctrl-C to stop)\n`);
    appendFileSync(log, warning(5, 9_000_000));
    await until(1);
    renameSync(log, `${log}.1`);
    writeFileSync(log, line(6, 'connection authorized: user=postgres database=app') + warning(7, 8_000_000));
    await until(2);
    expect(events().map((e) => [e.class, e.fields.remaining_xids])).toEqual([
      ['wraparound-warning', 9_000_000],
      ['wraparound-warning', 8_000_000],
    ]);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

it('--follow DIR follows the newest log file and moves to each newer one the server starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-follow-dir-'));
  const first = join(dir, 'postgresql-2026-12-01_200000.log');
  // An older file and a start-up file beside it: neither is followed.
  writeFileSync(join(dir, 'postgresql-2026-11-30_200000.log'), warning(1, 1_000_000));
  writeFileSync(first, line(2, 'database system is ready to accept connections'));
  const { child, exited, events, following, until } = follow(dir);
  const remaining = () => events().map((e) => e.fields.remaining_xids);
  try {
    await following();
    appendFileSync(first, warning(3, 9_000_000));
    await until(1);
    // The server rotates: a new file, named by the time, written after the old one's last line.
    appendFileSync(first, warning(4, 8_500_000));
    const second = join(dir, 'postgresql-2026-12-01_210000.log');
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(second, warning(5, 8_000_000));
    await until(3);
    expect(remaining()).toEqual([9_000_000, 8_500_000, 8_000_000]);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});
