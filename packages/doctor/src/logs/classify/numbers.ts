/** A regex group as a number; undefined when the group did not match. */
export function num(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A comma-separated list of pids ("583, 123"), as lock-wait DETAILs give them. */
export function pidList(text: string | undefined): number[] {
  if (!text) return [];
  const pids: number[] = [];
  for (const part of text.split(',')) {
    const value = Number(part.trim());
    if (part.trim() !== '' && Number.isInteger(value)) pids.push(value);
  }
  return pids;
}

/** Put a field only when it has a value, so the JSON carries no nulls for what the log did not say. */
export function put(fields: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== null && value !== '') fields[key] = value;
}
