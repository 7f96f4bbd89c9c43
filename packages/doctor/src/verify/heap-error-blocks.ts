/**
 * The blocks a read error names: "invalid page in block 40 of relation …" (every version), "3 invalid pages
 * among blocks 8..10 of relation …" (18, a multi-block read), "could not read blocks 8..10 in file …" (17+),
 * "could not read block 40 in file …". Undefined when the message names no block.
 */
export function blocksNamed(message: string): { first: number; last: number } | undefined {
  const match = /\bblocks? (\d+)(?:\.\.(\d+))?/.exec(message);
  if (!match) return undefined;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  return last >= first ? { first, last } : undefined;
}
