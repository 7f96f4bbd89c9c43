/** PostgreSQL's syslog piece size (PG_SYSLOG_LIMIT): longer lines are cut into chunks of at most this many bytes. */
const SYSLOG_LIMIT = 900;
/** A chunk is cut at a character boundary, so a full one may be a few bytes short of the limit. */
const FULL_CHUNK = SYSLOG_LIMIT - 8;

/**
 * How the pieces of a message sent through syslog (and Heroku's logplex) join. PostgreSQL splits a message at its
 * newlines, and a line longer than 900 bytes into chunks of about 900 bytes. So a piece that follows a full-size
 * piece and does not start with the TAB PostgreSQL puts after a newline is the rest of the same line (joined as
 * is); any other piece is a new line of the message (joined with "\n", the TAB dropped).
 */
export class Pieces {
  private readonly last = new Map<number, number>();

  /** A process's piece of `bytes` bytes was read. */
  note(pid: number, bytes: number): void {
    if (this.last.size > 8192) this.last.clear();
    this.last.set(pid, bytes);
  }

  /** The text to append for a continuation piece, and the separator before it. */
  join(pid: number, body: string, bytes: number): [text: string, separator: string] {
    const previous = this.last.get(pid) ?? 0;
    this.note(pid, bytes);
    if (body.startsWith('\t')) return [body.slice(1), '\n'];
    return previous >= FULL_CHUNK ? [body, ''] : [body, '\n'];
  }
}
