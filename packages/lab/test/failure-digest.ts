import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

type RunError = Parameters<NonNullable<Reporter['onTestRunEnd']>>[1][number];

/**
 * After vitest's own report, one line per failure: a failed test, a failed hook, an unhandled error (with where it
 * was thrown). CI keeps only the tail of a run's output, and vitest's summary there gives counts, not names.
 */
export default class FailureDigest implements Reporter {
  async onTestRunEnd(modules: readonly TestModule[], unhandled: readonly RunError[]): Promise<void> {
    // vitest prints its summary from onFinished, called beside this: a turn later this comes after it.
    await new Promise((resolve) => setImmediate(resolve));
    const lines: string[] = [];
    for (const module of modules) {
      const file = fromHere(module.moduleId);
      for (const error of module.errors()) lines.push(`${file}: ${firstLine(error)}`);
      for (const suite of module.children.allSuites()) for (const error of suite.errors()) lines.push(`${file} > ${suite.fullName}: ${firstLine(error)}`);
      for (const test of module.children.allTests('failed')) lines.push(`${file} > ${test.fullName}: ${firstLine(test.result().errors?.[0])}`);
    }
    for (const error of unhandled) lines.push(`unhandled${during(error)}: ${firstLine(error)}${thrownAt(error)}`);
    if (lines.length > 0) process.stdout.write(`\nFailures, one line each:\n${lines.map((l) => `  ${l.slice(0, 400)}\n`).join('')}`);
  }
}

function firstLine(error: RunError | undefined): string {
  if (!error) return 'failed (no error recorded)';
  const message = error.message.split('\n')[0] ?? '';
  return error.name && !message.startsWith(error.name) ? `${error.name}: ${message}` : message;
}

function thrownAt(error: RunError): string {
  const frame = error.stacks?.[0];
  return frame ? ` (at ${fromHere(frame.file)}:${frame.line})` : '';
}

/** The file and test vitest was running when the error was thrown (it may belong to an earlier test's leftovers). */
function during(error: RunError): string {
  const { VITEST_TEST_PATH: file, VITEST_TEST_NAME: test } = error as { VITEST_TEST_PATH?: string; VITEST_TEST_NAME?: string };
  if (!file) return '';
  return ` while ${fromHere(file)}${test ? ` ran "${test}"` : ' ran'}`;
}

const fromHere = (path: string) => relative(process.cwd(), path);
