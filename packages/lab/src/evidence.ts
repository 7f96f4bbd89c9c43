import type { Cluster } from './cluster.js';

/** The INFO lines VACUUM (VERBOSE) prints for one table: the server's own account of what it could remove. */
export async function vacuumVerbose(cluster: Cluster, table: string, database = 'postgres', options = ''): Promise<string> {
  const client = await cluster.connect(database, 'mvcc-doctor-lab-evidence');
  const lines: string[] = [];
  // PG 14 and older put the dead-row counts in the DETAIL of the notice, not in its message.
  client.on('notice', (notice) => lines.push(notice.message ?? '', ...(notice.detail ? [notice.detail] : [])));
  try {
    await client.query(`VACUUM (VERBOSE${options ? `, ${options}` : ''}) ${table}`);
  } finally {
    await client.end();
  }
  return lines.join('\n');
}

/** "N are dead but not yet removable" (PG 15+) or "N dead row versions cannot be removed yet" (PG 12–14) from VACUUM VERBOSE. */
export function deadButNotRemovable(verbose: string): number {
  const match = /(\d+) (?:are dead but not yet removable|dead row versions cannot be removed yet)/.exec(verbose);
  return match ? Number(match[1]) : 0;
}

/** Poll `probe` until it returns a truthy value (scenarios wait for the server to reach a state). */
export async function waitFor<T>(probe: () => Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
