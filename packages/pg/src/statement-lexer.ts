/**
 * Just enough of PostgreSQL's lexer to find where the statements of a simple-protocol query start, as the server
 * splits them: comments (`--`, nested `/* *\/`), string literals ('…' with '' doubled, E'…' with backslash escapes),
 * dollar quotes ($$…$$, $tag$…$tag$), quoted identifiers ("…" with "" doubled) and the semicolons inside the body of
 * a `CREATE FUNCTION … BEGIN ATOMIC … END` are skipped; every other semicolon ends a statement.
 *
 * When in doubt it splits more, never less: an extra split can only make the caller look at more statements.
 */

/** PostgreSQL's whitespace: space, tab, newline, carriage return, form feed (and vertical tab, harmlessly). */
function space(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** A character that can continue an identifier or keyword (PostgreSQL: letters, digits, _, $ and any non-ASCII). */
function identChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x24 || c >= 0x80;
}

/** A character that can start one: a letter, _ or non-ASCII (not a digit, not $). */
function identStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

/** Skip whitespace and comments from `i`; returns the position of the next token (or the text's length). */
export function skipSpace(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (space(c)) i++;
    else if (c === 0x2d && text.charCodeAt(i + 1) === 0x2d) i = endOfLine(text, i);
    else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) i = endOfBlockComment(text, i);
    else break;
  }
  return i;
}

/**
 * Whether the keyword `word` (lower case) stands at `i`, whole (not the start of a longer identifier): compared in
 * place, so the common statement costs no string.
 */
export function keywordAt(text: string, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if ((text.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  const next = text.charCodeAt(i + word.length);
  return Number.isNaN(next) || !identChar(next);
}

/** The keyword or identifier at `i`, lower case ('' if there is none), and where it ends. */
export function readWord(text: string, i: number): { word: string; end: number } {
  if (i >= text.length || !identStart(text.charCodeAt(i))) return { word: '', end: i };
  let end = i + 1;
  while (end < text.length && identChar(text.charCodeAt(end))) end++;
  return { word: text.slice(i, end).toLowerCase(), end };
}

/**
 * Where each non-empty statement starts (its first token, after leading whitespace and comments). With
 * `backslashEscapes`, a backslash escapes in every string (standard_conforming_strings off) instead of in E'…' only.
 */
export function statementStarts(text: string, backslashEscapes: boolean): number[] {
  const n = text.length;
  const starts: number[] = [];
  let i = skipSpace(text, 0);
  if (i < n && text.charCodeAt(i) !== 0x3b) starts.push(i);
  const body = new BodyTracker();
  while (i < n) {
    const c = text.charCodeAt(i);
    if (space(c)) i++;
    else if (c === 0x3b && !body.inside) {
      body.reset();
      i = skipSpace(text, i + 1);
      if (i < n && text.charCodeAt(i) !== 0x3b) starts.push(i);
    } else if (c === 0x2d && text.charCodeAt(i + 1) === 0x2d) i = endOfLine(text, i);
    else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) i = endOfBlockComment(text, i);
    else if (c === 0x27) {
      body.token();
      i = endOfString(text, i + 1, backslashEscapes);
    } else if (c === 0x22) {
      body.token();
      i = endOfQuoted(text, i + 1);
    } else if (c === 0x24) {
      body.token();
      i = afterDollar(text, i);
    } else if (identStart(c)) {
      let end = i + 1;
      while (end < n && identChar(text.charCodeAt(end))) end++;
      // E'…': an escape string, whatever standard_conforming_strings says (only when the E stands alone).
      if (end === i + 1 && (c === 0x65 || c === 0x45) && text.charCodeAt(end) === 0x27) {
        body.token();
        i = endOfString(text, end + 1, true);
      } else {
        // Words matter only at a statement's start and in CREATE FUNCTION: no string is made for the others.
        if (body.needsWords) body.word(text.slice(i, end).toLowerCase());
        else body.token();
        i = end;
      }
    } else {
      body.punctuation(c);
      i++;
    }
  }
  return starts;
}

/**
 * The body of `CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN ATOMIC … END` (PostgreSQL 14+) holds semicolons that
 * do not end the statement. It is entered only on BEGIN ATOMIC at parenthesis depth 0 of such a statement and left
 * when its END is reached (CASE … END nests); a keyword after "." or AS is a name, not a keyword.
 */
class BodyTracker {
  inside = false;
  private words = 0;
  private routine = false;
  private parens = 0;
  private depth = 0;
  private previous = '';
  private afterDot = false;
  private readonly lead: string[] = [];

  get needsWords(): boolean {
    return this.routine || this.words < 4;
  }

  reset(): void {
    this.inside = this.routine = this.afterDot = false;
    this.words = this.parens = this.depth = 0;
    this.previous = '';
    this.lead.length = 0;
  }

  punctuation(c: number): void {
    this.token();
    this.afterDot = c === 0x2e;
    if (c === 0x28) this.parens++;
    else if (c === 0x29 && this.parens > 0) this.parens--;
  }

  /** A token that is not a word (a literal, a quoted identifier, a parameter): the next word is not consecutive. */
  token(): void {
    this.afterDot = false;
    this.previous = '';
    this.words++;
  }

  word(word: string): void {
    const name = this.afterDot || this.previous === 'as';
    this.afterDot = false;
    const index = this.words++;
    // CREATE FUNCTION, CREATE PROCEDURE, CREATE OR REPLACE FUNCTION|PROCEDURE: the statement's first words exactly.
    if (index < 4) this.lead[index] = word;
    if (!this.routine && (index === 1 || index === 3) && (word === 'function' || word === 'procedure')) {
      this.routine = this.lead[0] === 'create' && (index === 1 || (this.lead[1] === 'or' && this.lead[2] === 'replace'));
    }
    if (this.inside) {
      if (!name && word === 'case') this.depth++;
      else if (!name && word === 'end' && --this.depth === 0) this.inside = false;
    } else if (this.routine && this.parens === 0 && this.previous === 'begin' && word === 'atomic') {
      this.inside = true;
      this.depth = 1;
    }
    this.previous = word;
  }
}

function endOfLine(text: string, i: number): number {
  const end = text.indexOf('\n', i);
  return end === -1 ? text.length : end + 1;
}

/** Block comments nest in PostgreSQL: /* a /* b *\/ still a *\/. */
function endOfBlockComment(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      depth++;
      i += 2;
    } else if (c === 0x2a && text.charCodeAt(i + 1) === 0x2f) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return n;
}

/** After a string's closing quote ('' is a quote inside it; with escapes, so is \'). Unterminated: the end. */
function endOfString(text: string, i: number, backslashEscapes: boolean): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && backslashEscapes) i += 2;
    else if (c === 0x27) {
      if (text.charCodeAt(i + 1) !== 0x27) return i + 1;
      i += 2;
    } else i++;
  }
  return n;
}

/** After a quoted identifier's closing quote ("" is a quote inside it). */
function endOfQuoted(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) === 0x22) {
      if (text.charCodeAt(i + 1) !== 0x22) return i + 1;
      i += 2;
    } else i++;
  }
  return n;
}

/** At a "$" that does not continue an identifier: a parameter ($1), a dollar quote ($$…$$, $tag$…$tag$), or itself. */
function afterDollar(text: string, i: number): number {
  let j = i + 1;
  const first = text.charCodeAt(j);
  if (first >= 0x30 && first <= 0x39) {
    while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    return j;
  }
  if (first !== 0x24) {
    if (!identStart(first)) return j;
    while (j < text.length && identChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 0x24) j++;
    if (text.charCodeAt(j) !== 0x24) return i + 1; // not a tag: a lone "$" (an operator character)
  }
  const delimiter = text.slice(i, j + 1);
  const close = text.indexOf(delimiter, j + 1);
  return close === -1 ? text.length : close + delimiter.length;
}
