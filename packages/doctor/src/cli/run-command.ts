import { renderNagiosUnknown } from '../report/nagios.js';
import { errorCode, oneLine, scrubSecrets } from './error-line.js';
import type { CommandIO } from './io.js';

export const EXIT_COULD_NOT_DIAGNOSE = 3;

/**
 * A command as the CLI runs it: its exit code, or, for any error, one line on stderr (JSON or a Nagios UNKNOWN
 * on stdout too when the command line asked for them) and exit 3, never a stack trace. `argv` is the whole
 * command line after the program name.
 */
export async function runCommand(command: () => Promise<number>, argv: string[], io: CommandIO): Promise<number> {
  try {
    return await command();
  } catch (error) {
    const message = scrubSecrets(oneLine(error), argv, io.env);
    io.err(`mvcc-doctor: ${message}\n`);
    // A pipeline that asked for JSON gets JSON on stdout, failure included (docs/check-json.md).
    if (argv.includes('--json')) {
      const code = errorCode(error);
      io.out(`${JSON.stringify({ tool: 'mvcc-doctor', schema_version: 1, error: { code, message }, exit_code: EXIT_COULD_NOT_DIAGNOSE }, null, 2)}\n`);
    }
    // A Nagios/Icinga check reads stdout only: it gets an UNKNOWN line (docs/nagios.md).
    if (argv.includes('--nagios')) io.out(renderNagiosUnknown(message));
    if (io.env.MVCC_DOCTOR_DEBUG && error instanceof Error && error.stack) io.err(`${scrubSecrets(error.stack, argv, io.env)}\n`);
    return EXIT_COULD_NOT_DIAGNOSE;
  }
}
