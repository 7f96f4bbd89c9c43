// The bin's entry for `freeze`: a bundle of its own, one file (scripts/bundle-cli.mjs). Its start-up is rescue
// time in the stop zone, and loading the shared CLI's 20 chunks one by one cost ~10 ms more.
import { freezeCommand } from './freeze-command.js';
import { processIO } from './io.js';
import { runCommand } from './run-command.js';

const argv = process.argv.slice(2);
const io = processIO();
process.exitCode = await runCommand(() => freezeCommand(argv.slice(1), io), argv, io);
