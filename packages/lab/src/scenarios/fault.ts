import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** What every fault scenario returns: what it made, and how to undo it. */
export interface Fault {
  /** Undo the fault: end its sessions, roll back what it prepared, drop what it made. Safe to call twice. */
  release(): Promise<void>;
}

/** A fresh identifier, so scenarios can share one cluster without meeting each other. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Make `release` idempotent and tolerant of sessions that are already gone. */
export function once(release: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= release());
}

/** End a session whatever state it is in. */
export async function endQuietly(client: pg.Client): Promise<void> {
  try {
    await client.end();
  } catch {
    // already terminated
  }
}
