import { readFileSync, statSync } from 'node:fs';

/** Who a password is looked up for: the session's actual target (the database differs per session). */
export interface PgpassTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/**
 * The password for a target from a libpq password file (hostname:port:database:username:password, `*` matches
 * anything, `\` escapes `:` and `\`, the first matching line wins, the password ends at the next bare `:`), or undefined. Like libpq, a file readable by
 * group or others is ignored, and a missing or unreadable file is no error: the server will then ask.
 */
export function pgpassLookup(passfile: string | undefined, target: PgpassTarget): string | undefined {
  if (!passfile) return undefined;
  let text: string;
  try {
    const stat = statSync(passfile);
    if (!stat.isFile() || (stat.mode & 0o077) !== 0) return undefined;
    text = readFileSync(passfile, 'utf8');
  } catch {
    return undefined;
  }
  // A socket directory counts as "localhost", as in libpq.
  const host = target.host.startsWith('/') ? 'localhost' : target.host;
  const wanted = [host, String(target.port), target.database, target.user];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields[4];
  }
  return undefined;
}

function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === '\\' && i + 1 < line.length) current += line[++i];
    else if (char === ':') {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields;
}
