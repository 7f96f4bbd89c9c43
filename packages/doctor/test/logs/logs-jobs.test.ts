import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogSummary } from '../../src/logs/report/log-summary.js';
import { MIN_SPLIT_BYTES } from '../../src/logs/read/split-log.js';
import { CORPUS } from './fixtures/corpus.js';

// The built CLI, as a process: the worker threads of --jobs run the compiled code.
const BIN = fileURLToPath(new URL('../../bin/mvcc-doctor.js', import.meta.url));
const run = promisify(execFile);

async function logs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'logs', ...args], { maxBuffer: 1 << 30 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A corpus log repeated past the size from which --jobs cuts a file into ranges. */
function repeated(dir: string, name: string, source: string): string {
  const text = gunzipSync(readFileSync(join(CORPUS, 'pgbadger', source)));
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  for (let written = 0; written < MIN_SPLIT_BYTES + 2 * text.length; written += text.length) writeSync(fd, text);
  closeSync(fd);
  return path;
}

describe('logs --jobs: worker threads on byte ranges give the report of one job', () => {
  let dir: string;
  let stderrLog: string;
  let jsonLog: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mvcc-logs-jobs-'));
    // Multi-line autovacuum reports (TAB continuations): a range must start on a record, never inside one.
    stderrLog = repeated(dir, 'vacuums.log', 'pg_vacuums.log.gz');
    jsonLog = repeated(dir, 'vacuums.json', 'pg_vacuums.json.gz');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stderr: the same --json with --jobs 1 and --jobs 3, events, line numbers and summary included', async () => {
    const one = await logs(['--jobs', '1', '--json', stderrLog]);
    const three = await logs(['--jobs', '3', '--json', stderrLog]);
    expect(one.code).toBe(1); // warnings: vacuums that left tuples behind
    expect(three.code).toBe(one.code);
    expect(three.stdout).toBe(one.stdout);
    const { summary } = JSON.parse(one.stdout) as { summary: LogSummary };
    expect(summary.read.files).toHaveLength(1);
    expect(summary.read.warnings).toBe(0);
    expect(summary.by_class.autovacuum).toBeGreaterThan(10_000);
  });

  it('jsonlog, and two files (each a unit of work, the big one cut): the same report with --jobs 1 and 2', async () => {
    for (const inputs of [[jsonLog], [stderrLog, jsonLog]]) {
      const one = await logs(['--jobs', '1', '--markdown', ...inputs]);
      const two = await logs(['--jobs', '2', '--markdown', ...inputs]);
      expect(one.code).toBe(1);
      expect(two).toEqual(one);
      expect(one.stdout).toContain(`${inputs.length} file(s)`);
    }
  });

  it('refuses a bad --jobs, and --jobs with --ndjson, in one line with exit 3', async () => {
    for (const args of [['--jobs', '0'], ['--jobs', 'two'], ['--jobs', '2', '--ndjson']]) {
      const { code, stderr } = await logs([...args, stderrLog]);
      expect(code).toBe(3);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^mvcc-doctor: usage error: /);
    }
  });
});
