/**
 * The PostgreSQL store keeps points in one partition per UTC day, named points_YYYYMMDD, so retention drops whole
 * tables instead of deleting rows (a DELETE would leave the store itself full of dead tuples to vacuum).
 */
export const DAY_MS = 86_400_000;

/** Days since the epoch (UTC) of an epoch-ms time. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function partitionName(day: number): string {
  return `points_${new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** The day of a partition we named; undefined for any other table (someone else's partition is never touched). */
export function dayOfPartition(name: string): number | undefined {
  const match = /^points_(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return partitionName(dayOf(ms)) === name ? dayOf(ms) : undefined;
}

/** The partition's range of t: [from, to), epoch ms. */
export function dayBounds(day: number): { from: number; to: number } {
  return { from: day * DAY_MS, to: (day + 1) * DAY_MS };
}
