import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@mvcc-doctor/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../check/run-check.js';

describe('verify: bad input is refused before any connection, in one line, never with the password', () => {
  let dead: string;
  let empty: string;
  beforeAll(async () => {
    dead = `postgresql://ops:hunter2@127.0.0.1:${await freePort()}/shop`; // nothing listens there
    empty = mkdtempSync(join(tmpdir(), 'mvcc-doctor-invariants-'));
    writeFileSync(join(empty, 'README.txt'), 'not a query');
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('help lists verify; verify --help shows its options and exit codes', async () => {
    expect((await cli(['help'])).stdout).toMatch(/^ {2}verify \[conn\] {2}after an incident: /m);
    const { code, stdout } = await cli(['verify', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--schema S', '--invariants DIR', '--heapallindexed', '--rows N', '--json', '--markdown', '--statement-timeout D', '--lock-timeout D']) expect(stdout).toContain(flag);
    expect(stdout).toMatch(/Exit codes: 0 nothing wrong, 1 warning/);
  });

  it.each([
    [['--rows', '0'], /--rows takes a whole number from 1 to 10000, not "0"/],
    [['--json', '--markdown'], /choose one of --json and --markdown/],
    [['--statement-timeout', '0'], /--statement-timeout must be at least 1ms/],
    [['--lock-timeout', 'soon'], /--lock-timeout takes a duration/],
    [['--bogus'], /unknown option --bogus/],
  ])('%j is a usage error', async (flags, message) => {
    const { code, stdout, stderr } = await cli(['verify', dead, ...(flags as string[])]);
    expect(code).toBe(3);
    // With --json the same error is also a JSON document on stdout (docs/check-json.md).
    if ((flags as string[]).includes('--json')) expect(JSON.parse(stdout)).toMatchObject({ exit_code: 3, error: { code: 'usage' } });
    else expect(stdout).toBe('');
    expect(stderr).toMatch(/^mvcc-doctor: usage error: /);
    expect(stderr).toMatch(message as RegExp);
  });

  it('an invariants directory without a .sql file is refused before connecting', async () => {
    const { code, stderr } = await cli(['verify', dead, '--invariants', empty]);
    expect(code).toBe(3);
    expect(stderr).toBe(`mvcc-doctor: usage error: --invariants ${empty} holds no .sql file (one query per file, returning the rows that break the rule)\n`);
  });

  it('an unreachable server with --json: a JSON error on stdout, exit 3, no password anywhere', async () => {
    const { code, stdout, stderr } = await cli(['verify', dead, '--json']);
    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({ tool: 'mvcc-doctor', exit_code: 3, error: { code: 'unreachable' } });
    expect(stdout + stderr).not.toContain('hunter2');
  });
});
