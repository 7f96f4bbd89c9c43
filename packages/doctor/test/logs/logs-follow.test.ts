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

it('--follow --ndjson prints each wraparound warning as it is written, also after the log is rotated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mvcc-follow-'));
  const log = join(dir, 'postgresql.log');
  writeFileSync(log, [1, 2, 3, 4].map((pid) => line(pid, 'connection authorized: user=postgres database=app')).join(''));
  const child = spawn(process.execPath, [BIN, 'logs', log, '--follow', '--ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += String(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (err += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events = () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { class: string; fields: { remaining_xids: number } });
  const until = async (n: number) => {
    for (let i = 0; i < 1200 && events().length < n; i++) await new Promise((r) => setTimeout(r, 50));
    expect(events()).toHaveLength(n);
  };
  try {
    // It says when it follows: what is written from then on is read, whatever the machine's load.
    for (let i = 0; i < 1200 && !err.includes('following'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(err).toBe(`mvcc-doctor: following ${log} from its end (Ctrl-C to stop)\n`);
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
