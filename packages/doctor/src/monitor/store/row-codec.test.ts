import { describe, expect, it } from 'vitest';
import { redactPasswords } from './row-codec.js';

describe('redactPasswords', () => {
  it('hides a role password in a logged statement, whatever its case and quotes', () => {
    expect(redactPasswords(`ALTER ROLE app PASSWORD 'hunter2'`)).toBe(`ALTER ROLE app PASSWORD '…'`);
    expect(redactPasswords(`create role x login password 'it''s secret' valid until 'infinity'`)).toBe(`create role x login password '…' valid until 'infinity'`);
    expect(redactPasswords(JSON.stringify({ query: "ALTER USER u WITH ENCRYPTED PASSWORD 'p\\\\w'" }))).not.toContain('p\\\\w');
  });

  it('leaves everything else alone', () => {
    const text = `UPDATE users SET password_hash = 'abc' WHERE id = 1`;
    expect(redactPasswords(text)).toBe(text);
  });
});
