/** Longest normalised text kept as a key; beyond it statements differ in their tail only for generated SQL. */
export const MAX_NORMALIZED_LENGTH = 2000;

/**
 * One key per statement shape, as pgBadger and pg_stat_statements group them: string, number and dollar-quoted
 * literals and $n parameters become "?", comments go (sqlcommenter/marginalia comments differ per call),
 * whitespace collapses to one space, and lists of placeholders — IN (?, ?, …), ARRAY[?, …] and VALUES rows —
 * collapse to one "(...)", so a batch of 3 and one of 300 are the same statement. One pass that copies runs of
 * ordinary characters as slices; the list regexes run only when a placeholder opened a list: a log with every
 * statement in it goes through here millions of times.
 */
export function normalizeStatement(text: string): string {
  let out = '';
  const n = text.length;
  let i = 0;
  let run = 0; // start of the pending run of ordinary characters
  let space = false; // whitespace or a comment was skipped since the last output
  let lastCode = 0; // the last character written (reading it back from a concatenated string is slow)
  let paren = false; // a placeholder directly after "(": the IN/ANY/VALUES list regexes have work to do
  let bracket = false; // … after "[": the ARRAY one has
  const flush = (end: number): void => {
    if (end > run) {
      if (space && out.length > 0) out += ' ';
      space = false;
      out += text.slice(run, end);
      lastCode = text.charCodeAt(end - 1);
    }
  };
  const placeholder = (): void => {
    // The pending space is not written yet, so lastCode is what precedes the placeholder.
    if (lastCode === 40) paren = true;
    else if (lastCode === 91) bracket = true;
    if (space && out.length > 0) out += ' ';
    space = false;
    out += '?';
    lastCode = 63;
  };
  /** Whether the character before i (in the pending run, else the last written) belongs to an identifier. */
  const afterIdent = (): boolean => (i > run ? isIdentChar(text.charCodeAt(i - 1)) : !space && isIdentChar(lastCode));
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      flush(i);
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      run = i;
      space = true;
      continue;
    }
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      flush(i);
      while (i < n && text.charCodeAt(i) !== 10) i++;
      run = i;
      space = true;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      flush(i);
      i = commentEnd(text, i);
      run = i;
      space = true;
      continue;
    }
    if (c === 39) {
      // A one-letter prefix right before the quote (E, B, X, N; not the end of a word) or U& belongs to the
      // literal; E'…' also has backslash escapes.
      let prefix = 0;
      if (i - 1 >= run && isPrefixLetter(text.charCodeAt(i - 1)) && !(i - 2 >= run ? isIdentChar(text.charCodeAt(i - 2)) : !space && isIdentChar(lastCode))) prefix = 1;
      else if (i - 2 >= run && text.charCodeAt(i - 1) === 38 && (text.charCodeAt(i - 2) | 32) === 117) prefix = 2;
      flush(i - prefix);
      i = stringEnd(text, i, prefix === 1 && (text.charCodeAt(i - 1) | 32) === 101);
      run = i;
      placeholder();
      continue;
    }
    if (c === 34) {
      const end = quotedEnd(text, i);
      i = end;
      continue;
    }
    if (c === 36 && !afterIdent()) {
      let j = i + 1;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (j > i + 1) {
        flush(i);
        i = j;
        run = i;
        placeholder();
        continue;
      }
      j = i + 1;
      while (j < n && text.charCodeAt(j) !== 36 && isIdentChar(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 36) {
        flush(i);
        const tag = text.slice(i, j + 1);
        const end = text.indexOf(tag, j + 1);
        i = end < 0 ? n : end + tag.length;
        run = i;
        placeholder();
        continue;
      }
    }
    if ((isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) && !afterIdent()) {
      flush(i);
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isDigit(d) || d === 46 || d === 95 || isLetter(d)) i++;
        else if ((d === 43 || d === 45) && (text.charCodeAt(i - 1) | 32) === 101) i++;
        else break;
      }
      run = i;
      placeholder();
      continue;
    }
    i++;
  }
  flush(n);
  if (paren) out = collapseParenLists(out);
  if (bracket) out = out.replace(ARRAY_LIST, 'ARRAY[...]');
  return out.length > MAX_NORMALIZED_LENGTH ? `${out.slice(0, MAX_NORMALIZED_LENGTH)}…` : out;
}

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
