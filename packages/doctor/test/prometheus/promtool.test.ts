import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The shipped rules file, through Prometheus' own tool: valid, and each rule fires on its fault and stays silent
// on the healthy series beside it (mvcc-doctor.rules.test.yml). promtool is Debian's `prometheus` package.

const run = promisify(execFile);
const DIR = join(import.meta.dirname, '../../prometheus');
const RULES = 'mvcc-doctor.rules.yml';
const TESTS = 'mvcc-doctor.rules.test.yml';

async function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('promtool is not installed: it comes with Debian\'s prometheus package (apt-get install -y --no-install-recommends prometheus), as .ci/run installs it');
    }
    return { code: Number(e.code), output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('prometheus rules', () => {
  let scratch: string;
  beforeAll(async () => {
    await promtool(['--version'], DIR);
    scratch = mkdtempSync(join(tmpdir(), 'mvcc-rules-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('pass promtool check rules', async () => {
    const { code, output } = await promtool(['check', 'rules', RULES], DIR);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  it('pass their unit tests: a firing and a silent case per rule', async () => {
    const { code, output } = await promtool(['test', 'rules', TESTS], DIR);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });

  // The tests must be able to fail: move one threshold, or make a rule fire on healthy series, and they do.
  it.each([
    ['a threshold moved', '> 0.5 <= 0.75', '> 0.6 <= 0.75'],
    ['a rule that fires on the healthy series', 'mvcc_up == 0', 'mvcc_up >= 0'],
  ])('fail when %s', async (_, from, to) => {
    cpSync(join(DIR, TESTS), join(scratch, TESTS));
    const rules = readFileSync(join(DIR, RULES), 'utf8');
    expect(rules).toContain(from);
    writeFileSync(join(scratch, RULES), rules.replace(from, to));
    const { code, output } = await promtool(['test', 'rules', TESTS], scratch);
    expect(output).toContain('FAILED');
    expect(code).not.toBe(0);
  });
});
