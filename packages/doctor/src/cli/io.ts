import { isatty } from 'node:tty';
import { oneLine, scrubSecrets } from './error-line.js';

/** What a command may touch of the outside world, so tests run commands in-process. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** After a large `out`: a promise to wait on while the reader of stdout catches up (undefined: no need). */
  drained?(): Promise<void> | undefined;
  env: Record<string, string | undefined>;
  /** Colours allowed: stdout is a TTY and NO_COLOR is not set. */
  color: boolean;
  /** Interactive confirmation possible. */
  interactive: boolean;
}

/** The real process's IO; also turns an error that escapes every await (a late socket error, say) into one line and exit 3. */
export function processIO(): CommandIO {
  const lastResort = (error: unknown) => {
    const argv = process.argv.slice(2);
    process.stderr.write(`mvcc-doctor: ${scrubSecrets(oneLine(error), argv, process.env)}\n`);
    if (process.env.MVCC_DOCTOR_DEBUG && error instanceof Error) process.stderr.write(`${scrubSecrets(String(error.stack), argv, process.env)}\n`);
    process.exit(3);
  };
  process.once('uncaughtException', lastResort);
  process.once('unhandledRejection', lastResort);
  return {
    out: (text) => process.stdout.write(text),
    // A pipe is written asynchronously when its reader is slower: without this, a large report queued in memory.
    drained: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : undefined),
    err: (text) => process.stderr.write(text),
    env: process.env,
    // isatty, not process.stdin: a non-TTY stdin stream loads fs streams, fs/promises and readline (~5 ms of every start).
    color: isatty(1) && !process.env.NO_COLOR,
    interactive: isatty(0) && isatty(1),
  };
}
