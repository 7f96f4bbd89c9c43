import type { CommandIO } from './io.js';

/** Placeholder replaced below in this session; kept compiling while the scenarios land. */
export async function demoCommand(_argv: string[], io: CommandIO): Promise<number> {
  io.err('demo: not built yet\n');
  return 3;
}
