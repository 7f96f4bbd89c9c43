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
  const scan = scanDurationLine(message, 0);
  if (!scan) return undefined;
  const line = durationLine(scan.ms, scan.kind);
  if (scan.truncated) line.truncated = true;
  if (!scan.known) return line;
  if (scan.kind === 'plan') {
    if (!scan.truncated) line.text = planQueryText(message.slice(scan.bodyFrom, scan.bodyTo));
    return line;
  }
  if (scan.nameFrom >= 0) line.name = message.slice(scan.nameFrom, scan.nameTo);
  if (scan.bodyTo > scan.bodyFrom && !scan.truncated) line.text = message.slice(scan.bodyFrom, scan.bodyTo);
  return line;
}

/** Where a duration line's parts are in its text: what the statement lane reads without making a string. */
export interface DurationScan {
  ms: number;
  kind: DurationLine['kind'];
  /** The kind is a word postgres.c writes (statement, execute …): the name and body below are its. */
  known: boolean;
  /** The prepared statement's name, -1 when none. */
  nameFrom: number;
  nameTo: number;
  /** The statement text (or plan), whitespace trimmed and Heroku's truncation mark cut off. */
  bodyFrom: number;
  bodyTo: number;
  truncated: boolean;
}

// One object for every scan: this runs for every statement of a log that records them all.
const scanned: DurationScan = { ms: 0, kind: 'none', known: false, nameFrom: -1, nameTo: -1, bodyFrom: 0, bodyTo: 0, truncated: false };

/** The duration line that starts at text[from] (its message), read by indexes into one reused object. */
export function scanDurationLine(text: string, from: number): DurationScan | undefined {
  if (!text.startsWith('duration: ', from)) return undefined;
  const msEnd = text.indexOf(' ms', from + 10);
  if (msEnd < 0) return undefined;
  const ms = parseMs(text, from + 10, msEnd);
  if (!Number.isFinite(ms)) return undefined;
  const scan = scanned;
  scan.ms = ms;
  scan.known = false;
  scan.nameFrom = scan.nameTo = -1;
  scan.bodyFrom = scan.bodyTo = 0;
  scan.truncated = false;
  const n = text.length;
  let head = msEnd + 3;
  while (head < n && text.charCodeAt(head) === 32) head++;
  if (blankFrom(text, head)) {
    scan.kind = 'none';
    return scan;
  }
  let kind: DurationLine['kind'] | undefined;
  let wordEnd: number;
  let colon: number;
  if (text.startsWith('statement: ', head)) {
    kind = 'statement';
    wordEnd = colon = head + 9;
  } else {
    colon = text.indexOf(':', head);
    scan.kind = 'other';
    if (colon < 0) return scan;
    const space = text.indexOf(' ', head);
    wordEnd = space > 0 && space < colon ? space : colon;
    kind = wordAt(text, head, wordEnd);
  }
  let bodyStart = colon + 1;
  while (bodyStart < n && isSpace(text.charCodeAt(bodyStart))) bodyStart++;
  const cut = truncatedAt(text, bodyStart);
  let bodyEnd = n;
  if (cut >= 0) {
    scan.truncated = true;
    bodyEnd = cut;
  }
  while (bodyEnd > bodyStart && isSpace(text.charCodeAt(bodyEnd - 1))) bodyEnd--;
  scan.kind = kind ?? 'other';
  if (kind === undefined) return scan;
  scan.known = true;
  scan.bodyFrom = bodyStart;
  scan.bodyTo = bodyEnd;
  if (wordEnd < colon && kind !== 'statement' && kind !== 'fastpath' && kind !== 'plan') {
    scan.nameFrom = wordEnd + 1;
    scan.nameTo = colon;
  }
  return scan;
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
