/**
 * Rails' marginalia / ActiveRecord QueryLogs comments: `/*application:Shop,controller:orders,action:create*\/`,
 * `key:value` pairs split by commas (no quoting, unlike sqlcommenter). The `line` (or `source_location`) tag is
 * "path:line:in `method'". Read from the comment leading the text, else the one ending it, like parseSqlComment.
 */
const KNOWN_KEYS = new Set([
  'application',
  'controller',
  'action',
  'namespaced_controller',
  'controller_with_namespace',
  'job',
  'job_id',
  'line',
  'source_location',
  'hostname',
  'pid',
  'database',
  'db_host',
  'socket',
]);

const LEADING = /^\s*\/\*([\s\S]*?)\*\//;
const TRAILING = /\/\*((?:(?!\/\*)[\s\S])*?)\*\/\s*;?\s*$/;
const PAIR_START = /,(?=[a-z_]+:)/;

export function parseMarginalia(text: string): Record<string, string> | undefined {
  if (!text.includes('/*')) return undefined;
  const leading = LEADING.exec(text);
  const fromLeading = leading ? parsePairs(leading[1] ?? '') : undefined;
  if (fromLeading) return fromLeading;
  const trailing = TRAILING.exec(text);
  return trailing ? parsePairs(trailing[1] ?? '') : undefined;
}

function parsePairs(raw: string): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  let known = 0;
  for (const part of raw.trim().split(PAIR_START)) {
    const colon = part.indexOf(':');
    if (colon <= 0) return undefined;
    const key = part.slice(0, colon).trim();
    if (!/^[a-z_]+$/.test(key)) return undefined;
    result[key] = part.slice(colon + 1).trim();
    if (KNOWN_KEYS.has(key)) known += 1;
  }
  // Any comment of `word:value` pairs would parse; one known tag is what makes it marginalia.
  return known > 0 ? result : undefined;
}

/** "/app/models/order.rb:12:in `save'" → "/app/models/order.rb:12". */
export function marginaliaLine(value: string): string {
  const match = /^(.*?:\d+)(?::in\b.*)?$/.exec(value);
  return match?.[1] ?? value;
}
