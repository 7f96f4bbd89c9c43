/** Longest normalised text kept as a key; beyond it statements differ in their tail only for generated SQL. */
export const MAX_NORMALIZED_LENGTH = 2000;

// What each ASCII character is to the scanner; everything else (letters, most punctuation, non-ASCII) is copied.
const ORDINARY = 0;
const SPACE = 1;
const DIGIT = 2;
const QUOTE = 3;
const DOUBLE_QUOTE = 4;
const DOLLAR = 5;
const DASH = 6;
const SLASH = 7;
const DOT = 8;
const KIND = new Uint8Array(128);
for (const c of [32, 9, 10, 13, 12]) KIND[c] = SPACE;
for (let c = 48; c <= 57; c++) KIND[c] = DIGIT;
KIND[39] = QUOTE;
KIND[34] = DOUBLE_QUOTE;
KIND[36] = DOLLAR;
KIND[45] = DASH;
KIND[47] = SLASH;
KIND[46] = DOT;

/**
 * One key per statement shape, as pgBadger and pg_stat_statements group them: string, number and dollar-quoted
 * literals (a negative number included) and $n parameters become "?", comments go (sqlcommenter/marginalia
 * comments differ per call), whitespace collapses to one space, and lists of placeholders — IN (?, ?, …),
 * ARRAY[?, …] and VALUES rows — collapse to one "(...)", so a batch of 3 and one of 300 are the same statement.
 */
export function normalizeStatement(text: string): string {
  return normalizeInto(shared, text, 0, text.length).toString();
}

/**
 * The key of text[from, to) into `key` (see normalizeStatement). One pass that copies runs of ordinary text (a single
 * space between words stays in its run) into the key's reused buffer: a log with every statement in it goes
 * through here millions of times, and a statement seen before is then found by its characters without a string.
 */
export function normalizeInto(key: StatementKey, text: string, from: number, to: number): StatementKey {
  key.start(to - from);
  const n = to;
  let i = from;
  let run = from; // start of the pending run of ordinary characters
  while (i < n) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? KIND[c]! : c >= 0xd800 && c <= 0xdfff ? -1 : ORDINARY;
    if (kind === ORDINARY) {
      i++;
      continue;
    }
    const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    if (kind === SPACE) {
      // One space inside a run is kept as it is; anything else is one gap.
      if (c === 32 && i > run && i + 1 < n && KIND[next] !== SPACE) {
        i++;
        continue;
      }
      key.copy(text, run, i);
      i++;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      run = i;
      key.gap();
      continue;
    }
    if (kind === DASH && next === 45) {
      key.copy(text, run, i);
      while (i < n && text.charCodeAt(i) !== 10) i++;
      run = i;
      key.gap();
      continue;
    }
    if (kind === SLASH && next === 42) {
      key.copy(text, run, i);
      i = commentEnd(text, i, n);
      run = i;
      key.gap();
      continue;
    }
    if (kind === QUOTE) {
      // A one-letter prefix right before the quote (E, B, X, N; not the end of a word) or U& belongs to the
      // literal; E'…' also has backslash escapes.
      let prefix = 0;
      if (i - 1 >= run && isPrefixLetter(text.charCodeAt(i - 1)) && !(i - 2 >= run ? isIdentChar(text.charCodeAt(i - 2)) : key.endsInIdent())) prefix = 1;
      else if (i - 2 >= run && text.charCodeAt(i - 1) === 38 && (text.charCodeAt(i - 2) | 32) === 117) prefix = 2;
      key.copy(text, run, i - prefix);
      i = stringEnd(text, i, n, prefix === 1 && (text.charCodeAt(i - 1) | 32) === 101);
      run = i;
      key.placeholder();
      continue;
    }
    if (kind === DOUBLE_QUOTE) {
      i = quotedEnd(text, i, n);
      continue;
    }
    if (kind === DOLLAR && !afterIdent(text, i, run, key)) {
      let j = i + 1;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (j > i + 1) {
        key.copy(text, run, i);
        i = j;
        run = i;
        key.placeholder();
        continue;
      }
      j = i + 1;
      while (j < n && text.charCodeAt(j) !== 36 && isIdentChar(text.charCodeAt(j))) j++;
      if (j < n && text.charCodeAt(j) === 36) {
        key.copy(text, run, i);
        const tag = text.slice(i, j + 1);
        const end = text.indexOf(tag, j + 1);
        i = end < 0 || end + tag.length > n ? n : end + tag.length;
        run = i;
        key.placeholder();
        continue;
      }
    }
    if ((kind === DIGIT || (kind === DOT && isDigit(next))) && !afterIdent(text, i, run, key)) {
      key.copy(text, run, unaryMinus(text, i, run, key) ? i - 1 : i);
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isDigit(d) || d === 46 || d === 95 || isLetter(d)) i++;
        else if ((d === 43 || d === 45) && (text.charCodeAt(i - 1) | 32) === 101) i++;
        else break;
      }
      run = i;
      key.placeholder();
      continue;
    }
    if (kind === -1) {
      // A lone surrogate (a JSON log's \ud800) is no character: U+FFFD, as UTF-8 output would have it.
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i += 2;
      else {
        key.copy(text, run, i);
        i++;
        run = i;
        key.literal(0xfffd);
      }
      continue;
    }
    i++;
  }
  key.copy(text, run, n);
  key.finish();
  if ((key.paren && key.hasPlaceholderList()) || key.bracket) key.collapseLists();
  return key.cap(MAX_NORMALIZED_LENGTH);
}

/** Whether the character before i (in the pending run, else the last written) belongs to an identifier. */
function afterIdent(text: string, i: number, run: number, key: StatementKey): boolean {
  return i > run ? isIdentChar(text.charCodeAt(i - 1)) : key.endsInIdent();
}

/**
 * Whether the number at i has a minus sign of its own right before it, as PostgreSQL reads "x + -1" or "(-1": after an
 * operator, "(", "[" or "," (one space between allowed), not "a -1" (a subtraction).
 */
function unaryMinus(text: string, i: number, run: number, key: StatementKey): boolean {
  if (i - 1 < run || text.charCodeAt(i - 1) !== 45) return false;
  let p = i - 2;
  if (p >= run && text.charCodeAt(p) === 32) p--;
  const before = p >= run ? text.charCodeAt(p) : key.lastSignificant();
  return before === 0 || OPERATOR_BEFORE_SIGN.includes(before);
}

// + - * / < > = ~ ! @ # % ^ & | ` ( [ , — not ?, which is also what a literal before became.
const OPERATOR_BEFORE_SIGN = [43, 45, 42, 47, 60, 62, 61, 126, 33, 64, 35, 37, 94, 38, 124, 96, 40, 91, 44];

const IN_LIST = /\b(IN|ANY|ALL) ?\( ?\?(?: ?, ?\?)* ?\)/gi;
const ARRAY_LIST = /\bARRAY ?\[ ?\?(?: ?, ?\?)* ?\]/gi;
const VALUES_ROWS = /\bVALUES ?\( ?\?(?: ?, ?\?)* ?\)(?: ?, ?\( ?\?(?: ?, ?\?)* ?\))*/gi;

const HASH_START = 0x811c9dc5 | 0;
const HASH_PRIME = 0x01000193;

/**
 * A normalised statement being built: its characters in a reused buffer (slices of the statement, a space for each
 * gap, "?" for each literal), compared and hashed there, and made a string only when wanted (a new statement).
 */
export class StatementKey {
  private codes = new Uint16Array(256);
  /** Characters in the key. */
  length = 0;
  /** Their hash, kept as they are written. */
  private h = HASH_START;
  /** Whitespace or a comment was skipped since the last text written: a space comes before the next. */
  private space = false;
  /** The last character written (0 for none). */
  private last = 0;
  /** The last one that is not a space. */
  private significant = 0;
  /** A placeholder directly after "(": the IN/ANY/VALUES list regexes may have work to do. */
  paren = false;
  /** … after "[": the ARRAY one has. */
  bracket = false;

  /** Empties the key for a statement of `size` characters (the key is never longer than its statement, plus one). */
  start(size: number): this {
    if (this.codes.length < size + 2) this.codes = new Uint16Array(Math.max(size + 2, this.codes.length * 2));
    this.length = 0;
    this.h = HASH_START;
    this.space = false;
    this.last = 0;
    this.significant = 0;
    this.paren = false;
    this.bracket = false;
    return this;
  }

  /** The key is `text` (a key made before: a worker's, to merge). */
  load(text: string): this {
    this.start(text.length);
    for (let i = 0; i < text.length; i++) this.codes[i] = text.charCodeAt(i);
    this.length = text.length;
    this.rehash();
    return this;
  }

  gap(): void {
    this.space = true;
  }

  /** Whether what precedes the position is part of an identifier (nothing skipped since). */
  endsInIdent(): boolean {
    return !this.space && isIdentChar(this.last);
  }

  lastSignificant(): number {
    return this.significant;
  }

  /** text[from, to): a run never starts with a space, and ends with at most one. */
  copy(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.separate();
    const codes = this.codes;
    let length = this.length;
    let h = this.h;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      codes[length++] = c;
      h = Math.imul(h ^ c, HASH_PRIME);
    }
    this.length = length;
    this.h = h;
    const last = text.charCodeAt(to - 1);
    this.last = last;
    this.significant = last !== 32 ? last : to - 2 >= from ? text.charCodeAt(to - 2) : this.significant;
  }

  placeholder(): void {
    if (this.significant === 40) this.paren = true;
    else if (this.significant === 91) this.bracket = true;
    this.literal(63);
  }

  literal(code: number): void {
    this.separate();
    this.put(code);
    this.last = this.significant = code;
  }

  finish(): void {
    if (this.last !== 32) return;
    this.length--;
    this.rehash();
  }

  /**
   * Whether some "(" holds nothing but placeholders, commas and spaces: what every list the regexes collapse looks
   * like. A few compares, where the regexes cost a scan each (an INSERT's VALUES row with a function in it has a
   * placeholder after "(" but is no such list).
   */
  hasPlaceholderList(): boolean {
    const codes = this.codes;
    for (let open = 0; open < this.length; open++) {
      if (codes[open] !== 40) continue;
      let i = open + 1;
      let placeholder = false;
      for (; i < this.length; i++) {
        const c = codes[i];
        if (c === 63) placeholder = true;
        else if (c !== 32 && c !== 44) break;
      }
      if (placeholder && i < this.length && codes[i] === 41) return true;
    }
    return false;
  }

  /** IN/ANY/ALL lists and VALUES rows as "(...)", ARRAY[…] as "[...]": as a string, seldom. */
  collapseLists(): void {
    let text = this.toString();
    if (this.paren) {
      text = text.replace(IN_LIST, '$1 (...)');
      if (text.includes('VALUES') || text.includes('values') || text.includes('Values')) text = text.replace(VALUES_ROWS, (match: string) => `${match.slice(0, 6)} (...)`);
    }
    if (this.bracket) text = text.replace(ARRAY_LIST, 'ARRAY[...]');
    this.load(text);
  }

  /** At most `max` characters, then "…". */
  cap(max: number): this {
    if (this.length > max) {
      this.length = max;
      this.rehash();
      this.put(0x2026);
    }
    return this;
  }

  /** A hash of the characters (FNV-1a, kept a small integer for the map). */
  hash(): number {
    return this.h & 0x3fffffff;
  }

  equals(text: string): boolean {
    if (text.length !== this.length) return false;
    const codes = this.codes;
    for (let i = 0; i < this.length; i++) if (codes[i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /** A new flat string (never a slice of the log). */
  toString(): string {
    let out = '';
    for (let at = 0; at < this.length; at += 4096) out += String.fromCharCode.apply(null, this.codes.subarray(at, Math.min(this.length, at + 4096)) as unknown as number[]);
    return out;
  }

  private separate(): void {
    if (this.space && this.last !== 0 && this.last !== 32) this.put(32);
    this.space = false;
  }

  private put(code: number): void {
    this.codes[this.length++] = code;
    this.h = Math.imul(this.h ^ code, HASH_PRIME);
  }

  /** The hash again from the characters (after some were taken back: seldom). */
  private rehash(): void {
    let h = HASH_START;
    for (let i = 0; i < this.length; i++) h = Math.imul(h ^ this.codes[i]!, HASH_PRIME);
    this.h = h;
  }
}

const shared = new StatementKey();

/** E'…', B'…', X'…', N'…'. */
function isPrefixLetter(c: number): boolean {
  const lower = c | 32;
  return lower === 101 || lower === 98 || lower === 120 || lower === 110;
}

/** After the closing quote of '…' ('' inside; backslash escapes in E'…'); the end of text when unterminated. */
function stringEnd(text: string, start: number, end: number, escapes: boolean): number {
  let i = start + 1;
  while (i < end) {
    const d = text.charCodeAt(i);
    if (escapes && d === 92) i += 2;
    else if (d !== 39) i++;
    else if (i + 1 < end && text.charCodeAt(i + 1) === 39) i += 2;
    else return i + 1;
  }
  return end;
}

function quotedEnd(text: string, start: number, end: number): number {
  let i = start + 1;
  while (i < end) {
    if (text.charCodeAt(i) !== 34) i++;
    else if (i + 1 < end && text.charCodeAt(i + 1) === 34) i += 2;
    else return i + 1;
  }
  return end;
}

/** After a comment, nested as PostgreSQL nests them. */
function commentEnd(text: string, start: number, end: number): number {
  let depth = 1;
  let i = start + 2;
  while (i < end && depth > 0) {
    const c = text.charCodeAt(i);
    const next = i + 1 < end ? text.charCodeAt(i + 1) : 0;
    if (c === 47 && next === 42) {
      depth++;
      i += 2;
    } else if (c === 42 && next === 47) {
      depth--;
      i += 2;
    } else i++;
  }
  return i;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

function isIdentChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 95 || c === 36 || c > 127;
}
