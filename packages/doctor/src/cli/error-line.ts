import { resolveConnOptions } from '../connect/conn-options.js';
import { DoctorError } from '../connect/doctor-error.js';

/** The stable code of a failure, as the JSON error document names it. */
export function errorCode(error: unknown): string {
  if (error instanceof DoctorError || isLabError(error)) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') ? 'usage' : 'internal';
}

/**
 * The lab's errors (from the demo), known by shape: the published CLI does not ship the lab, so it cannot
 * import its class.
 */
function isLabError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && error.name === 'LabError' && typeof (error as { code?: unknown }).code === 'string';
}

export function oneLine(error: unknown): string {
  if (error instanceof DoctorError) return error.line;
  if (isLabError(error)) return `lab: ${error.message.replace(/\s*\n\s*/g, ' ')}`;
  const e = error as { code?: string; message?: string };
  // node:util parseArgs: unknown or malformed flags. Its messages name the option, never its value.
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(e.message ?? '')?.[1] ?? '?';
    return `usage error: unknown option ${option} (see mvcc-doctor help)`;
  }
  if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
    return `usage error: ${(e.message ?? '').split('\n')[0]!.replace(/\.$/, '')} (see mvcc-doctor help)`;
  }
  return `internal error: ${(e.message ?? String(error)).split('\n')[0]} (MVCC_DOCTOR_DEBUG=1 shows the stack)`;
}

/**
 * Every password the user handed us (in a URL or conninfo argument, PGPASSWORD, DATABASE_URL): the last guard
 * before stderr, for messages we did not write ourselves (a driver or Node error that echoes its input).
 */
function secretsOf(argv: string[], env: Record<string, string | undefined>): string[] {
  const secrets = [env.PGPASSWORD];
  for (const text of [...argv, env.DATABASE_URL]) {
    if (!text || !/password|:\/\//i.test(text)) continue;
    // The raw, still %-encoded form too: a message may echo the URL as typed.
    secrets.push(/^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]+)@/i.exec(text)?.[1]);
    try {
      secrets.push(resolveConnOptions({ conninfo: text }).password);
    } catch {
      // not a connection string
    }
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** `text` with every password found in argv and env replaced by ***. */
export function scrubSecrets(text: string, argv: string[], env: Record<string, string | undefined>): string {
  return secretsOf(argv, env).reduce((out, secret) => out.split(secret).join('***'), text);
}
