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
 * One pass that copies runs of ordinary text as slices (a single space between words stays in its run): a log
 * with every statement in it goes through here millions of times.
 */
export function normalizeStatement(text: string): string {
  const key = builder.start();
  const n = text.length;
  let i = 0;
  let run = 0; // start of the pending run of ordinary characters
  while (i < n) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? KIND[c]! : c >= 0xd800 && c <= 0xdfff ? -1 : ORDINARY;
    if (kind === ORDINARY) {
      i++;
      continue;
    }
    if (kind === SPACE) {
      // One space inside a run is kept as it is; anything else is one gap.
      if (c === 32 && i > run && i + 1 < n && KIND[text.charCodeAt(i + 1)] !== SPACE) {
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
    if (kind === DASH && text.charCodeAt(i + 1) === 45) {
      key.copy(text, run, i);
      while (i < n && text.charCodeAt(i) !== 10) i++;
      run = i;
      key.gap();
      continue;
    }
    if (kind === SLASH && text.charCodeAt(i + 1) === 42) {
      key.copy(text, run, i);
      i = commentEnd(text, i);
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
      i = stringEnd(text, i, prefix === 1 && (text.charCodeAt(i - 1) | 32) === 101);
      run = i;
      key.placeholder();
      continue;
    }
    if (kind === DOUBLE_QUOTE) {
      i = quotedEnd(text, i);
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
      if (text.charCodeAt(j) === 36) {
        key.copy(text, run, i);
        const tag = text.slice(i, j + 1);
        const end = text.indexOf(tag, j + 1);
        i = end < 0 ? n : end + tag.length;
        run = i;
        key.placeholder();
        continue;
      }
    }
    if ((kind === DIGIT || (kind === DOT && isDigit(text.charCodeAt(i + 1)))) && !afterIdent(text, i, run, key)) {
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
      const low = text.charCodeAt(i + 1);
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) i += 2;
      else {
        key.copy(text, run, i);
        i++;
        run = i;
        key.literal('\ufffd');
      }
      continue;
    }
    i++;
  }
  key.copy(text, run, n);
  let out = key.finish();
  if (key.paren && hasPlaceholderList(out)) out = collapseParenLists(out);
  if (key.bracket) out = out.replace(ARRAY_LIST, 'ARRAY[...]');
  return out.length > MAX_NORMALIZED_LENGTH ? `${out.slice(0, MAX_NORMALIZED_LENGTH)}…` : out;
}

/** Whether the character before i (in the pending run, else the last written) belongs to an identifier. */
function afterIdent(text: string, i: number, run: number, key: KeyBuilder): boolean {
  return i > run ? isIdentChar(text.charCodeAt(i - 1)) : key.endsInIdent();
}

/**
 * Whether the number at i has a minus sign of its own right before it, as PostgreSQL reads "x + -1" or "(-1": after an
 * operator, "(", "[" or "," (one space between allowed), not "a -1" (a subtraction).
 */
function unaryMinus(text: string, i: number, run: number, key: KeyBuilder): boolean {
  if (i - 1 < run || text.charCodeAt(i - 1) !== 45) return false;
  let p = i - 2;
  if (p >= run && text.charCodeAt(p) === 32) p--;
  const before = p >= run ? text.charCodeAt(p) : key.lastSignificant();
  return before === 0 || OPERATOR_BEFORE_SIGN.includes(before);
}

// + - * / < > = ~ ! @ # % ^ & | ` ( [ , — not ?, which is also what a literal before became.
const OPERATOR_BEFORE_SIGN = [43, 45, 42, 47, 60, 62, 61, 126, 33, 64, 35, 37, 94, 38, 124, 96, 40, 91, 44];

/** The key being built: slices of the statement, a space for each gap, "?" for each literal. */
class KeyBuilder {
  private out = '';
  /** Whitespace or a comment was skipped since the last text written: a space comes before the next. */
  private space = false;
  /** The last character written (0 for none). */
  private last = 0;
  /** The last one that is not a space. */
  private significant = 0;
  /** A placeholder directly after "(": the IN/ANY/VALUES list regexes have work to do. */
  paren = false;
  /** … after "[": the ARRAY one has. */
  bracket = false;

  start(): this {
    this.out = '';
    this.space = false;
    this.last = 0;
    this.significant = 0;
    this.paren = false;
    this.bracket = false;
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
    this.out += text.slice(from, to);
    const last = text.charCodeAt(to - 1);
    this.last = last;
    this.significant = last !== 32 ? last : to - 2 >= from ? text.charCodeAt(to - 2) : this.significant;
  }

  placeholder(): void {
    if (this.significant === 40) this.paren = true;
    else if (this.significant === 91) this.bracket = true;
    this.literal('?');
  }

  literal(text: string): void {
    this.separate();
    this.out += text;
    this.last = this.significant = text.charCodeAt(0);
  }

  finish(): string {
    return this.last === 32 ? this.out.slice(0, -1) : this.out;
  }

  private separate(): void {
    if (this.space && this.last !== 0 && this.last !== 32) this.out += ' ';
    this.space = false;
  }
}

const builder = new KeyBuilder();

const IN_LIST = /\b(IN|ANY|ALL) ?\( ?\?(?: ?, ?\?)* ?\)/gi;
const ARRAY_LIST = /\bARRAY ?\[ ?\?(?: ?, ?\?)* ?\]/gi;
const VALUES_ROWS = /\bVALUES ?\( ?\?(?: ?, ?\?)* ?\)(?: ?, ?\( ?\?(?: ?, ?\?)* ?\))*/gi;

/**
 * Whether some "(" holds nothing but placeholders, commas and spaces: what every list the regexes collapse looks
 * like. A few compares, where the regexes cost a scan each (an INSERT's VALUES row with a function in it has a
 * placeholder after "(" but is no such list).
 */
function hasPlaceholderList(key: string): boolean {
  for (let open = key.indexOf('('); open >= 0; open = key.indexOf('(', open + 1)) {
    let i = open + 1;
    let placeholder = false;
    for (; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c === 63) placeholder = true;
      else if (c !== 32 && c !== 44) break;
    }
    if (placeholder && key.charCodeAt(i) === 41) return true;
  }
  return false;
}

function collapseParenLists(text: string): string {
  const collapsed = text.replace(IN_LIST, '$1 (...)');
  return collapsed.includes('VALUES') || collapsed.includes('values') || collapsed.includes('Values')
    ? collapsed.replace(VALUES_ROWS, (match: string) => `${match.slice(0, 6)} (...)`)
    : collapsed;
}

/** E'…', B'…', X'…', N'…'. */
function isPrefixLetter(c: number): boolean {
  const lower = c | 32;
  return lower === 101 || lower === 98 || lower === 120 || lower === 110;
}

/** After the closing quote of '…' ('' inside; backslash escapes in E'…'); the end of text when unterminated. */
function stringEnd(text: string, start: number, escapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (escapes && d === 92) i += 2;
    else if (d !== 39) i++;
    else if (text.charCodeAt(i + 1) === 39) i += 2;
    else return i + 1;
  }
  return text.length;
}

function quotedEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text.charCodeAt(i) !== 34) i++;
    else if (text.charCodeAt(i + 1) === 34) i += 2;
    else return i + 1;
  }
  return text.length;
}

/** After a comment, nested as PostgreSQL nests them. */
function commentEnd(text: string, start: number): number {
  let depth = 1;
  let i = start + 2;
  while (i < text.length && depth > 0) {
    const c = text.charCodeAt(i);
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      depth++;
      i += 2;
    } else if (c === 42 && text.charCodeAt(i + 1) === 47) {
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
