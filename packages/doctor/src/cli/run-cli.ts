import { DoctorError } from '../connect/doctor-error.js';
import { VERSION } from '../version.js';
import type { CommandIO } from './io.js';
import { runCommand } from './run-command.js';

const HELP = `mvcc-doctor ${VERSION} — find, explain and rescue PostgreSQL MVCC faults

Usage: mvcc-doctor <command> [options]

Commands:
  check [conn]   diagnose wraparound, horizon holders, bloat, locks (see: mvcc-doctor check --help)
  freeze [plan|run] [conn]  the wraparound rescue: plan (default), or run it (see: mvcc-doctor freeze --help)
  logs FILE…     read server logs for deadlocks, lock waits, vacuum, wraparound, corruption (see: mvcc-doctor logs --help)
  verify [conn]  after an incident: orphans, duplicates, sequences, invariants, amcheck (see: mvcc-doctor verify --help)
  clog check|plan [conn]  a missing commit log: find the lost pg_xact segments, plan the recovery (see: mvcc-doctor clog --help)
  corruption scan|salvage  find the unreadable blocks and tuples; copy out the rows that read (see: mvcc-doctor corruption --help)
  serve          watch clusters: history, forecasts, alerts, /metrics, dashboard (see: mvcc-doctor serve --help)
  demo           start an embedded PostgreSQL, reproduce the incidents, diagnose them, clean up
  help           this text

Exit codes: 0 ok, 1 warning, 2 critical, 3 could not diagnose.`;

/**
 * Each command is loaded when it runs: start-up time is rescue time in the stop zone, and `freeze` need not
 * load what `demo` or `check` use.
 */
const COMMANDS: Record<string, () => Promise<(argv: string[], io: CommandIO) => Promise<number>>> = {
  check: async () => (await import('./check-command.js')).checkCommand,
  demo: async () => (await import('./demo-command.js')).demoCommand,
  freeze: async () => (await import('./freeze-command.js')).freezeCommand,
  serve: async () => (await import('./serve-command.js')).serveCommand,
  logs: async () => (await import('./logs-command.js')).logsCommand,
  verify: async () => (await import('./verify-command.js')).verifyCommand,
  clog: async () => (await import('./clog-command.js')).clogCommand,
  corruption: async () => (await import('./corruption-command.js')).corruptionCommand,
};

/** The CLI as a function: argv in, exit code out; errors become one line and exit 3, never a stack trace. */
export function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv;
  return runCommand(async () => {
    if (command !== undefined && Object.hasOwn(COMMANDS, command)) return (await COMMANDS[command]!())(rest, io);
    switch (command) {
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
  }, argv, io);
}
