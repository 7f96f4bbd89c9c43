import type { ClogSourceInfo } from './clog-source.js';

/** A word for a POSIX shell: single-quoted unless plainly safe. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact `mvcc-doctor clog check|plan` command for the same source: the data directory, or the connection
 * as a URL without its password (it comes from PGPASSWORD or ~/.pgpass, as it did for this run).
 */
export function clogCommandLine(sub: 'check' | 'plan', source: ClogSourceInfo, xids: readonly number[] = []): string {
  const where =
    source.kind === 'pgdata'
      ? `--pgdata ${source.dataDirectory === '$PGDATA' ? '"$PGDATA"' : shellWord(source.dataDirectory)}`
      : shellWord(`postgresql://${encodeURIComponent(source.user)}@${urlHost(source.host)}:${source.port}/${encodeURIComponent(source.database)}`);
  return ['mvcc-doctor', 'clog', sub, where, ...xids.map((x) => `--xid ${x}`)].join(' ');
}

/** IPv6 in brackets; a socket directory percent-encoded, as the connection parser reads it. */
function urlHost(host: string): string {
  if (host.startsWith('/')) return encodeURIComponent(host);
  return host.includes(':') ? `[${host}]` : host;
}
