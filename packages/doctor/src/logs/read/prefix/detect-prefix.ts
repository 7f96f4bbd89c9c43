import { BACKEND_TYPES, SEVERITY_PATTERN, compilePrefix, type CompiledPrefix } from './compile-prefix.js';
import { KNOWN_PREFIXES } from './known-prefixes.js';

/** The verdict on a sample of lines. */
export interface PrefixDetection {
  /** The best prefix, absent when none explains enough of the lines. */
  prefix?: CompiledPrefix;
  /** Lines with a severity word, and how many of them the prefix matched. */
  candidates: number;
  matched: number;
}

/** Share of the sample's log lines a prefix must match to be believed. */
const MIN_SHARE = 0.6;
const GUESS_SHARE = 0.9;
const SEVERITY = new RegExp(`(?<![A-Za-z])(?:${SEVERITY_PATTERN}):(?: |\\t|$)`);
const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?(?: (?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?/;
const EPOCH = /^\d{10}\.\d{3}(?!\d)/;
const BRACKET_NUMBER = /^\[(\d+)\]/;
const BRACKET_PAIR = /^\[(\d+)-(\d+)\]/;
const KEY = /^([A-Za-z_]+)( = |=)/;
const USER_AT_DB = /^[^\s@,:[\]()"]*@[^\s@,:[\]()"]*(?=[\s:,\])]|$)/;
// An IPv6 address ends with a hex digit: the ':' after it is the prefix's own.
const HOST = /^(?:\[local\]|\d{1,3}(?:\.\d{1,3}){3}|(?=[0-9a-f:]*\d)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?<=[0-9a-f]))(\(\d+\))?/i;
const HOST_WITH_PORT = /^[A-Za-z0-9][A-Za-z0-9.-]*\(\d+\)/;
const SESSION_ID = /^[0-9a-f]{6,8}\.[0-9a-f]{1,8}(?![0-9a-z])/;
const VXID = /^\d+\/\d+(?![\d/])/;
const SQLSTATE = /^(?=[A-Z]*\d)[0-9A-Z]{5}(?![0-9A-Za-z])/;
const VALUE = /^(?:\[[^\]]*\]|[^,\s\])"]*)/;
const BACKEND_TYPE = new RegExp(`^(?:${BACKEND_TYPES.join('|')})(?= |:|$)`);
/** A literal word of a template that could be a value: no escape, not only punctuation. */
const LITERAL_WORD = /(?<=^| |%q|%[a-zA-Z][/:,|])[^\s%/:,|]*[A-Za-z0-9][^\s%/:,|]*(?=[ /:,|]|$)/g;

/** Keys people put before values in their prefixes ("user=%u"), lower case, and the escape each stands for. */
const KEYS: Record<string, string> = {
  user: '%u', usr: '%u', u: '%u', username: '%u', user_name: '%u', role: '%u',
  db: '%d', database: '%d', dbname: '%d', database_name: '%d',
  app: '%a', appli: '%a', application: '%a', application_name: '%a', appname: '%a',
  client: '%h', host: '%h', remote: '%h', remote_host: '%h', client_addr: '%h', ip: '%h', connection_source: '%r',
  pid: '%p', process: '%p', backend_pid: '%p',
  trx_id: '%x', xid: '%x', txid: '%x', tid: '%x', transaction_id: '%x',
  vtid: '%v', vxid: '%v', virtual_xid: '%v',
  session: '%c', session_id: '%c', sid: '%c',
  sql_error_code: '%e', sqlstate: '%e', state: '%e', error_code: '%e',
  queryid: '%Q', query_id: '%Q',
  line: '%l', log_line: '%l', line_num: '%l',
  time: '%m', time_ms: '%m', ts: '%m', timestamp: '%m', proc_start_time: '%s',
  backend_type: '%b', backend: '%b',
  tag: '%i', command_tag: '%i',
};

/** Whether a line has a severity word ("LOG:", "ERROR:" …) where a log line would. */
export function hasSeverity(line: string): boolean {
  return SEVERITY.test(line.length > 600 ? line.slice(0, 600) : line);
}

/**
 * Finds the log_line_prefix of text log lines (what comes before "LOG:  "): candidates are inferred from each
 * line (a timestamp is %t or %m, "[123]" %p, "user=x" %u, "x@y" %u@%d …, literals kept), merged where background
 * processes print a shorter form of the same prefix (%q), and joined by well-known prefixes; the candidate that
 * matches most lines wins (see isBetter for ties).
 */
export function detectPrefix(lines: readonly string[]): PrefixDetection {
  const instances: string[] = [];
  const logLines: string[] = [];
  for (const line of lines) {
    const m = SEVERITY.exec(line.length > 600 ? line.slice(0, 600) : line);
    if (!m) continue;
    logLines.push(line);
    instances.push(line.slice(0, m.index));
  }
  if (logLines.length === 0) return { candidates: 0, matched: 0 };
  const frequency = new Map<string, number>();
  for (const instance of instances) {
    const template = inferTemplate(instance);
    frequency.set(template, (frequency.get(template) ?? 0) + 1);
  }
  const frequent = [...frequency.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  const candidates = new Map<string, number>();
  for (const [template, count] of frequent) candidates.set(template, count);
  for (const [short] of frequent) {
    for (const [long, count] of frequent) {
      if (long.length > short.length && long.startsWith(short) && !short.includes('%q')) {
        const merged = `${short}%q${long.slice(short.length)}`;
        candidates.set(merged, Math.max(candidates.get(merged) ?? 0, count));
      }
    }
  }
  // Debian's "%m [%p] %q%u@%d ": a sample of session lines only cannot show the %q, but a prefix ending in %u@%d
  // usually has it, and it costs nothing where it is not needed.
  for (const [template, count] of frequent) {
    const at = template.lastIndexOf('%u@%d');
    if (at > 0 && !template.includes('%q') && !template.slice(at + 5).includes('%')) {
      const withQ = `${template.slice(0, at)}%q${template.slice(at)}`;
      if (!candidates.has(withQ)) candidates.set(withQ, count);
    }
  }
  // Application names are free text with no mark of their own ("lab-deadlock-a postgres@shop"): a word left literal
  // next to a field ("… %u@%d", "%d …") may be %a. Such a guess ranks after the literal template when both match
  // as many lines.
  const guesses = new Set<string>();
  for (const [template, count] of [...candidates]) {
    if (template.includes('%a')) continue;
    for (const word of template.matchAll(LITERAL_WORD)) {
      const end = word.index + word[0].length;
      const nextToField = /%[a-zA-Z][^\s%\w]? ?$/.test(template.slice(0, word.index)) || /^ ?[^\s%\w]?%[a-zA-Z]/.test(template.slice(end));
      const guess = `${template.slice(0, word.index)}%a${template.slice(end)}`;
      // As frequent as the template it refines: more fields then win a tie on lines matched.
      if (nextToField && !candidates.has(guess)) {
        candidates.set(guess, count);
        guesses.add(guess);
      }
    }
  }
  for (const known of KNOWN_PREFIXES) if (!candidates.has(known)) candidates.set(known, 0);

  let best: Scored | undefined;
  for (const [prefix, count] of candidates) {
    let compiled: CompiledPrefix;
    try {
      compiled = compilePrefix(prefix);
    } catch {
      continue;
    }
    let matched = 0;
    for (const line of logLines) if (compiled.regex.test(line)) matched++;
    // A guessed %a must explain nearly every line: a word that only looks like a value would split the log.
    if (guesses.has(prefix) && matched < logLines.length * GUESS_SHARE) continue;
    if (!best || isBetter({ compiled, matched, frequency: count }, best)) {
      best = { compiled, matched, frequency: count };
    }
  }
  if (!best || best.matched < logLines.length * MIN_SHARE) return { candidates: logLines.length, matched: best?.matched ?? 0 };
  return { prefix: best.compiled, candidates: logLines.length, matched: best.matched };
}

interface Scored {
  compiled: CompiledPrefix;
  matched: number;
  frequency: number;
}

/** More lines matched; then more lines that look like it (a known prefix no line looks like comes last); more fields; %q. */
function isBetter(a: Scored, b: Scored): boolean {
  if (a.matched !== b.matched) return a.matched > b.matched;
  if (a.frequency !== b.frequency) return a.frequency > b.frequency;
  if (a.compiled.fieldCount !== b.compiled.fieldCount) return a.compiled.fieldCount > b.compiled.fieldCount;
  return a.compiled.prefix.includes('%q') && !b.compiled.prefix.includes('%q');
}

/** One line's prefix text turned into a log_line_prefix: values become escapes, the rest stays literal. */
export function inferTemplate(text: string): string {
  let out = '';
  let times = 0;
  let pid = false;
  let sessionLine = false;
  for (let i = 0; i < text.length; ) {
    const rest = text.slice(i);
    const boundary = i === 0 || /[\s,[\]():;|<>{}=@-]/.test(text[i - 1]!);
    let m: RegExpExecArray | null;
    if ((m = STAMP.exec(rest))) {
      out += times++ > 0 ? (m[1] ? '%m' : '%s') : m[1] ? '%m' : '%t';
      i += m[0].length;
    } else if (boundary && (m = EPOCH.exec(rest))) {
      out += '%n';
      i += m[0].length;
    } else if ((m = BRACKET_PAIR.exec(rest))) {
      out += pid ? `[%l-${m[2]}]` : '[%p-%l]';
      pid = true;
      sessionLine = true;
      i += m[0].length;
    } else if ((m = BRACKET_NUMBER.exec(rest))) {
      out += !pid ? '[%p]' : !sessionLine ? '[%x]' : '[%x]';
      pid = true;
      i += m[0].length;
    } else if (boundary && (m = KEY.exec(rest)) && KEYS[m[1]!.toLowerCase()]) {
      let escape = KEYS[m[1]!.toLowerCase()]!;
      out += m[0];
      i += m[0].length;
      const quoted = text[i] === '"';
      if (quoted) {
        out += '"';
        i++;
      }
      const value = quoted ? /^[^"]*/.exec(text.slice(i))![0] : (STAMP.exec(text.slice(i)) ?? VALUE.exec(text.slice(i)))![0];
      if (escape === '%h' && /\(\d+\)$/.test(value)) escape = '%r';
      if (escape === '%m' && value !== '' && !/\.\d{3}/.test(value)) escape = '%t';
      if (escape === '%p') pid = true;
      if (escape === '%m' || escape === '%t') times++;
      out += escape;
      i += value.length;
      if (quoted && text[i] === '"') {
        out += '"';
        i++;
      }
    } else if (boundary && (m = BACKEND_TYPE.exec(rest))) {
      out += '%b';
      i += m[0].length;
    } else if (boundary && (m = USER_AT_DB.exec(rest))) {
      out += '%u@%d';
      i += m[0].length;
    } else if (boundary && ((m = HOST.exec(rest)) || (m = HOST_WITH_PORT.exec(rest)))) {
      out += m[1] || m[0].endsWith(')') ? '%r' : '%h';
      i += m[0].length;
    } else if (boundary && (m = SESSION_ID.exec(rest))) {
      out += '%c';
      i += m[0].length;
    } else if (boundary && (m = VXID.exec(rest))) {
      out += '%v';
      i += m[0].length;
    } else if (boundary && (m = SQLSTATE.exec(rest))) {
      out += '%e';
      i += m[0].length;
    } else {
      out += text[i] === '%' ? '%%' : text[i];
      i++;
    }
  }
  return out;
}
