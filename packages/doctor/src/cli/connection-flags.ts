import { resolveConnOptions, type ConnOptions } from '../connect/conn-options.js';

/** The libpq-style connection flags every command that connects takes. */
export const CONNECTION_FLAGS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  user: { type: 'string', short: 'U' },
  dbname: { type: 'string', short: 'd' },
} as const;

/** Flags first, then the conninfo/URL argument, then the environment (resolved once, in connect/). */
export function connFromFlags(
  values: { host?: string; port?: string; user?: string; dbname?: string },
  conninfo: string | undefined,
  env: Record<string, string | undefined>,
): ConnOptions {
  return resolveConnOptions({ conninfo, host: values.host, port: values.port, user: values.user, dbname: values.dbname, env });
}
