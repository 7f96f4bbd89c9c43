import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from './quote.js';

describe('quoting', () => {
  it('double-quotes identifiers and doubles inner quotes', () => {
    expect(quoteIdent('accounts')).toBe('"accounts"');
    expect(quoteIdent('we"ird Table')).toBe('"we""ird Table"');
    expect(() => quoteIdent('')).toThrow(TypeError);
  });

  it('quotes literals, with E-syntax when a backslash is in them', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(() => quoteLiteral('a\0b')).toThrow(TypeError);
  });
});
