import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgpassLookup } from './pgpass.js';

describe('pgpassLookup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgpass-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string, mode = 0o600) => {
    const path = join(dir, `f${Math.random()}`);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  const target = { host: 'db.example', port: 5432, database: 'shop', user: 'app' };

  it('takes the first matching line, with * wildcards and \\: \\\\ escapes', () => {
    const path = file(['# comment', 'other:5432:*:app:nope', 'db.example:5432:billing:app:nope', 'db.example:*:*:app:pa\\:ss\\\\w:rest', '*:*:*:*:fallback'].join('\n'));
    expect(pgpassLookup(path, target)).toBe('pa:ss\\w');
    expect(pgpassLookup(path, { ...target, user: 'bob' })).toBe('fallback');
  });

  it('counts a socket directory as localhost', () => {
    expect(pgpassLookup(file('localhost:5432:*:*:local\n'), { ...target, host: '/var/run/postgresql' })).toBe('local');
  });

  it('ignores a file others may read, a missing file, and no file', () => {
    expect(pgpassLookup(file('*:*:*:*:open\n', 0o644), target)).toBeUndefined();
    expect(pgpassLookup(join(dir, 'missing'), target)).toBeUndefined();
    expect(pgpassLookup(undefined, target)).toBeUndefined();
  });
});
