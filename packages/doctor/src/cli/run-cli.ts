import { DoctorError } from '../connect/doctor-error.js';
import { LabError } from '../lab/lab-error.js';
import { VERSION } from '../version.js';
import { CHECK_HELP, checkCommand } from './check-command.js';
import { demoCommand } from './demo-command.js';
import type { CommandIO } from './io.js';

export const EXIT_COULD_NOT_DIAGNOSE = 3;

const HELP = `mvcc-doctor ${VERSION} — find, explain and rescue PostgreSQL MVCC faults

Usage: mvcc-doctor <command> [options]

Commands:
  check [conn]   diagnose wraparound, horizon holders, bloat, locks (see: mvcc-doctor check --help)
  demo           start an embedded PostgreSQL, reproduce the incidents, diagnose them, clean up
  help           this text

${CHECK_HELP.split('\n').slice(-1)[0]}`;

/** The CLI as a function: argv in, exit code out; errors become one line and exit 3, never a stack trace. */
export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${HELP}\n`);
        return 0;
      case '--version':
      case '-V':
        io.out(`${VERSION}\n`);
        return 0;
      default:
        throw new DoctorError('usage', `unknown command "${command}" (try: mvcc-doctor help)`);
    }
  } catch (error) {
    io.err(`mvcc-doctor: ${oneLine(error)}\n`);
    return EXIT_COULD_NOT_DIAGNOSE;
  }
}

function oneLine(error: unknown): string {
  if (error instanceof DoctorError || error instanceof LabError) return error.message;
  const e = error as { code?: string; message?: string };
  // node:util parseArgs: unknown or malformed flags.
  if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return `${e.message} (see --help)`;
  return `internal error: ${(e.message ?? String(error)).split('\n')[0]}`;
}
