/** What a command may touch of the outside world, so tests run commands in-process. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Colours allowed: stdout is a TTY and NO_COLOR is not set. */
  color: boolean;
  /** Interactive confirmation possible. */
  interactive: boolean;
}

export function processIO(): CommandIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
}
