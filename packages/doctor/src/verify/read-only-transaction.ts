import type { Session } from '../connect/safe-session.js';

/**
 * Run `work` in a READ ONLY transaction whose settings (planner switches, a statement_timeout) end with it, so
 * the shared session is left as it was. A read-only transaction takes no transaction ID. If ROLLBACK itself
 * fails the session is broken, and the first error is the one worth reporting.
 */
export async function inReadOnlyTransaction<T>(session: Session, settings: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  await session.query('BEGIN READ ONLY');
  let result: T;
  try {
    for (const [name, value] of Object.entries(settings)) await session.query('SELECT set_config($1, $2, true)', [name, value]);
    result = await work();
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await session.query('ROLLBACK');
  return result;
}
