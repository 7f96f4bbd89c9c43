import type { ConnOptions } from './conn-options.js';
import { DoctorError } from './doctor-error.js';
import { openSession, type Session, type SessionOptions } from './safe-session.js';

export interface EachDatabaseOptions {
  session: SessionOptions;
  /** Databases worked on at once. Default 4. */
  concurrency?: number;
  /** An open session to reuse for its own database. */
  entry?: Session;
  /** A database we could not enter (no privilege, gone, not accepting connections): the rest go on. */
  onSkip: (database: string, reason: string) => void;
  /** Leave a session open once its work has succeeded: the work took it over (the rescue hands it to a worker). */
  keepOpen?: boolean;
}

/**
 * Run `work` in every database, a session each, `concurrency` at a time: the one per-database fan-out of
 * diagnosis and rescue. Losing the server (unreachable) ends it all; anything else about one database is a skip.
 */
export async function forEachDatabase(conn: ConnOptions, databases: readonly string[], options: EachDatabaseOptions, work: (session: Session) => Promise<void>): Promise<void> {
  let next = 0;
  const one = async (database: string) => {
    const reuse = options.entry?.database === database ? options.entry : undefined;
    let session: Session;
    try {
      session = reuse ?? (await openSession(conn, database, options.session));
    } catch (error) {
      if (error instanceof DoctorError && error.code !== 'unreachable') return options.onSkip(database, error.message);
      throw error;
    }
    let done = false;
    try {
      await work(session);
      done = true;
    } finally {
      if (!reuse && !(done && options.keepOpen)) await session.close();
    }
  };
  const worker = async () => {
    while (next < databases.length) await one(databases[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, databases.length) }, worker));
}
