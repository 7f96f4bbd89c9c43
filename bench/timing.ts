import type { Contender } from './contenders.js';

/** Milliseconds per run of each contender, in run order. */
export type Timings = Map<string, number[]>;

/**
 * Run every contender once to warm caches (catalog pages, relcache of fresh backends, the JIT of node), then
 * `runs` rounds with the order rotated each round, so no contender always runs right after the same other one.
 */
export async function timeInterleaved(contenders: Contender[], runs: number, onRound?: (round: number) => void): Promise<Timings> {
  const timings: Timings = new Map(contenders.map((c) => [c.name, []]));
  for (const contender of contenders) await contender.run();
  for (let round = 0; round < runs; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const contender of order) {
      const started = performance.now();
      await contender.run();
      timings.get(contender.name)!.push(performance.now() - started);
    }
    onRound?.(round + 1);
  }
  return timings;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A plain-text table, columns right-aligned except the first. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
