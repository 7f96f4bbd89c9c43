/**
 * What postgres.c logs for log_min_duration_statement / log_duration:
 *   "duration: %s ms"                                   (text already logged by log_statement)
 *   "duration: %s ms  statement: %s"
 *   "duration: %s ms  execute|bind|parse <name>[/portal]: %s"
 *   "duration: %s ms  fastpath function call: …"
 *   "duration: %s ms  plan:\n…"                         (auto_explain; the text is its "Query Text")
 */
export interface DurationLine {
  ms: number;
  kind: 'statement' | 'execute' | 'bind' | 'parse' | 'plan' | 'fastpath' | 'none' | 'other';
  /** The prepared statement (and portal) name of execute/bind/parse, e.g. "<unnamed>" or "a2". */
  name?: string;
  /** The statement text, when the line has one. */
  text?: string;
  /** Heroku and others cut long lines and say so. */
  truncated?: boolean;
}

const TRUNCATED = '[Your log message was truncated]';

export function parseDurationLine(message: string): DurationLine | undefined {
  if (!message.startsWith('duration: ')) return undefined;
  const msEnd = message.indexOf(' ms', 10);
  if (msEnd < 0) return undefined;
  const ms = parseMs(message, 10, msEnd);
  if (!Number.isFinite(ms)) return undefined;
  // Indexes and startsWith rather than slices, and one object shape: this runs for every statement of a log that
  // records them all.
  const n = message.length;
  let head = msEnd + 3;
  while (head < n && message.charCodeAt(head) === 32) head++;
  if (blankFrom(message, head)) return durationLine(ms, 'none');
  let kind: DurationLine['kind'] | undefined;
  let wordEnd: number;
  let colon: number;
  if (message.startsWith('statement: ', head)) {
    kind = 'statement';
    wordEnd = colon = head + 9;
  } else {
    colon = message.indexOf(':', head);
    if (colon < 0) return durationLine(ms, 'other');
    const space = message.indexOf(' ', head);
    wordEnd = space > 0 && space < colon ? space : colon;
    kind = wordAt(message, head, wordEnd);
  }
  let bodyStart = colon + 1;
  while (bodyStart < n && isSpace(message.charCodeAt(bodyStart))) bodyStart++;
  const cut = truncatedAt(message, bodyStart);
  const line = durationLine(ms, kind ?? 'other');
  let bodyEnd = n;
  if (cut >= 0) {
    line.truncated = true;
    bodyEnd = cut;
  }
  while (bodyEnd > bodyStart && isSpace(message.charCodeAt(bodyEnd - 1))) bodyEnd--;
  if (kind === undefined) return line;
  if (kind === 'plan') {
    if (!line.truncated) line.text = planQueryText(message.slice(bodyStart, bodyEnd));
    return line;
  }
  if (wordEnd < colon && kind !== 'statement' && kind !== 'fastpath') line.name = message.slice(wordEnd + 1, colon);
  if (bodyEnd > bodyStart && !line.truncated) line.text = message.slice(bodyStart, bodyEnd);
  return line;
}

/** Every DurationLine has all its fields (undefined when absent): one hidden class for V8. */
function durationLine(ms: number, kind: DurationLine['kind']): DurationLine {
  return { ms, kind, name: undefined, text: undefined, truncated: undefined };
}

const WORDS = ['statement', 'execute', 'bind', 'parse', 'plan', 'fastpath'] as const;

/** The kind the word message[from, to) names, without slicing it out. */
function wordAt(message: string, from: number, to: number): (typeof WORDS)[number] | undefined {
  for (const word of WORDS) if (word.length === to - from && message.startsWith(word, from)) return word;
  return undefined;
}

/** "12.345" as a number without a substring; Number() for anything else (an exponent, a sign, 16 digits or more). */
function parseMs(message: string, from: number, to: number): number {
  let value = 0;
  let scale = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = message.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
      if (scale) scale *= 10;
    } else if (c === 46 && !scale) scale = 1;
    else return Number(message.slice(from, to));
  }
  // Integers below 2^53 divided by a power of ten round exactly as the decimal text does.
  if (digits === 0 || digits > 15) return Number(message.slice(from, to));
  return scale ? value / scale : value;
}

/** Where Heroku's "[Your log message was truncated]" is, or -1: found by its "[" (a long pattern costs more to search for). */
function truncatedAt(message: string, from: number): number {
  for (let at = message.indexOf('[', from); at >= 0; at = message.indexOf('[', at + 1)) if (message.startsWith(TRUNCATED, at)) return at;
  return -1;
}

/** Whether nothing but whitespace is left from `from` on (no copy: this runs for every statement of a log). */
function blankFrom(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * auto_explain's "Query Text": a JSON plan has it as a key; a text plan as a line, possibly continued on the lines
 * before the first plan node (which carries "(cost=" or "(actual", or is a "Query Parameters:" line).
 */
export function planQueryText(plan: string): string | undefined {
  const body = plan.trim();
  if (body.startsWith('{') || body.startsWith('[')) {
    // A line break inside a JSON string (a log line split by the logger) makes it invalid: read it as a space.
    const parsed = parseJson(body) ?? parseJson(body.replace(/\n\t?/g, ' '));
    const root = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | undefined;
    const text = root?.['Query Text'];
    return typeof text === 'string' ? text : undefined;
  }
  const lines = plan.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith('Query Text: '));
  if (start < 0) return undefined;
  const first = lines[start] ?? '';
  const collected = [first.slice(first.indexOf('Query Text: ') + 12)];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/\((?:cost=|actual )|^\s*(?:Query Parameters|Query Identifier):/.test(line)) break;
    collected.push(line);
  }
  return collected.join('\n').trimEnd();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
