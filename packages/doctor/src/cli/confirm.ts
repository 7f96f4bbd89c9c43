import { DoctorError } from '../connect/doctor-error.js';
import type { CommandIO } from './io.js';

/** A person's yes to a question; tests pass their own. */
export type Confirm = (question: string) => Promise<boolean>;

/**
 * Ask before doing something a person must agree to: `deps` answers in tests; on a terminal a line is read;
 * off a terminal nobody can answer, so it is a usage error that names the flag (`--yes`) that confirms instead.
 */
export async function confirmWith(io: CommandIO, confirm: Confirm | undefined, question: string, what: string): Promise<boolean> {
  if (confirm) return confirm(question);
  if (!io.interactive) throw new DoctorError('usage', `${what} asks for confirmation; not on a terminal, add --yes`);
  // Loaded only to ask: a rescue's start-up does not pay for readline.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
