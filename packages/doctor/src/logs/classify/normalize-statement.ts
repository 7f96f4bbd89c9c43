/** Longest normalised text kept as a key; beyond it statements differ in their tail only for generated SQL. */
export const MAX_NORMALIZED_LENGTH = 2000;

/**
 * One key per statement shape, as pgBadger and pg_stat_statements group them: string, number and dollar-quoted
 * literals and $n parameters become "?", comments go (sqlcommenter/marginalia comments differ per call),
 * whitespace collapses to one space, and lists of placeholders — IN (?, ?, …), ARRAY[?, …] and VALUES rows —
 * collapse to one "(...)", so a batch of 3 and one of 300 are the same statement. One pass that writes the key's
 * bytes into a reused buffer, decoded once at the end: a log with every statement in it goes through here millions
 * of times, and a key built by string concatenation had to be flattened again to be hashed by the Map it goes into.
 */
export function normalizeStatement(text: string): string {
  const key = writer.start(text.length);
  const n = text.length;
  let i = 0;
  let run = 0; // start of the pending run of ordinary characters
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      key.copy(text, run, i);
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      run = i;
      key.gap();
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      key.copy(text, run, i);
      while (i < n && text.charCodeAt(i) !== 10) i++;
      run = i;
      key.gap();
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      key.copy(text, run, i);
      i = commentEnd(text, i);
      run = i;
      key.gap();
      continue;
    }
    if (c === 39) {
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
    if (c === 34) {
      i = quotedEnd(text, i);
      continue;
    }
    if (c === 36 && !afterIdent(text, i, run, key)) {
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
    if ((isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) && !afterIdent(text, i, run, key)) {
      key.copy(text, run, i);
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
    i++;
  }
  key.copy(text, run, n);
  let out = key.finish();
  if (key.paren) out = collapseParenLists(out);
  if (key.bracket) out = out.replace(ARRAY_LIST, 'ARRAY[...]');
  return out.length > MAX_NORMALIZED_LENGTH ? `${out.slice(0, MAX_NORMALIZED_LENGTH)}…` : out;
}

/** Whether the character before i (in the pending run, else the last written) belongs to an identifier. */
function afterIdent(text: string, i: number, run: number, key: KeyWriter): boolean {
  return i > run ? isIdentChar(text.charCodeAt(i - 1)) : key.endsInIdent();
}

/** The key being written, as UTF-8 in a buffer reused from one statement to the next. */
class KeyWriter {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;
  /** Whitespace or a comment was skipped since the last byte written: a space comes before the next. */
  private space = false;
  /** The last character written (0 for none). */
  private last = 0;
  /** A placeholder directly after "(": the IN/ANY/VALUES list regexes have work to do. */
  paren = false;
  /** … after "[": the ARRAY one has. */
  bracket = false;

  start(textLength: number): this {
    // Each UTF-16 unit becomes at most 3 bytes; a placeholder and a space are fewer bytes than what they replace.
    if (this.buf.length < textLength * 3 + 8) this.buf = Buffer.allocUnsafe(textLength * 3 + 8);
    this.len = 0;
    this.space = false;
    this.last = 0;
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

  copy(text: string, from: number, to: number): void {
    if (to <= from) return;
    const buf = this.buf;
    let len = this.len;
    if (this.space && len > 0) buf[len++] = 32;
    this.space = false;
    for (let j = from; j < to; j++) {
      const c = text.charCodeAt(j);
      if (c < 0x80) buf[len++] = c;
      else if (c < 0x800) {
        buf[len++] = 0xc0 | (c >> 6);
        buf[len++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff && j + 1 < to) {
        const low = text.charCodeAt(j + 1);
        const cp = low >= 0xdc00 && low <= 0xdfff ? 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00) : 0xfffd;
        if (cp === 0xfffd) len = writeThree(buf, len, cp);
        else {
          j++;
          buf[len++] = 0xf0 | (cp >> 18);
          buf[len++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[len++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[len++] = 0x80 | (cp & 0x3f);
        }
      } else len = writeThree(buf, len, c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
    }
    this.len = len;
    this.last = text.charCodeAt(to - 1);
  }

  placeholder(): void {
    // The pending space is not written yet, so `last` is what precedes the placeholder.
    if (this.last === 40) this.paren = true;
    else if (this.last === 91) this.bracket = true;
    if (this.space && this.len > 0) this.buf[this.len++] = 32;
    this.space = false;
    this.buf[this.len++] = 63;
    this.last = 63;
  }

  finish(): string {
    return this.buf.toString('utf8', 0, this.len);
  }
}

function writeThree(buf: Buffer, len: number, c: number): number {
  buf[len] = 0xe0 | (c >> 12);
  buf[len + 1] = 0x80 | ((c >> 6) & 0x3f);
  buf[len + 2] = 0x80 | (c & 0x3f);
  return len + 3;
}

const writer = new KeyWriter();

const IN_LIST = /\b(IN|ANY|ALL) ?\( ?\?(?: ?, ?\?)* ?\)/gi;
const ARRAY_LIST = /\bARRAY ?\[ ?\?(?: ?, ?\?)* ?\]/gi;
const VALUES_ROWS = /\bVALUES ?\( ?\?(?: ?, ?\?)* ?\)(?: ?, ?\( ?\?(?: ?, ?\?)* ?\))*/gi;

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
