import { describe, expect, it } from 'vitest';
import { describeTarget, resolveConnOptions } from './conn-options.js';

describe('resolveConnOptions', () => {
  it('reads a URL, keeps the password out of enumeration and of the description', () => {
    const o = resolveConnOptions({ conninfo: 'postgresql://alice:s%3Acret@db.example:6543/shop?sslmode=require' });
    expect(o).toMatchObject({ host: 'db.example', port: 6543, user: 'alice', database: 'shop', sslmode: 'require' });
    expect(o.password).toBe('s:cret');
    expect(JSON.stringify(o)).not.toContain('s:cret');
    expect(describeTarget(o)).toBe('alice@db.example:6543/shop');
  });

  it('reads libpq key=value strings with quoted values', () => {
    const o = resolveConnOptions({ conninfo: "host=127.0.0.1 port=5433 user=bob dbname='my db' password='it\\'s'" });
    expect(o).toMatchObject({ host: '127.0.0.1', port: 5433, user: 'bob', database: 'my db' });
    expect(o.password).toBe("it's");
  });

  it('takes flags over the argument, the argument over DATABASE_URL, DATABASE_URL over PG* variables', () => {
    const env = { DATABASE_URL: 'postgres://u1@h1:1111/d1', PGHOST: 'h2', PGPORT: '2222', PGUSER: 'u2', PGDATABASE: 'd2' };
    expect(resolveConnOptions({ env })).toMatchObject({ host: 'h1', port: 1111, user: 'u1', database: 'd1' });
    expect(resolveConnOptions({ env: { PGHOST: 'h2', PGPORT: '2222', PGUSER: 'u2' } })).toMatchObject({ host: 'h2', port: 2222, user: 'u2', database: 'u2' });
    expect(resolveConnOptions({ env, conninfo: 'host=h3', port: 4444 })).toMatchObject({ host: 'h3', port: 4444, user: 'u1' });
  });

  it('rejects garbage with a usage error', () => {
    expect(() => resolveConnOptions({ conninfo: 'host=a =b' })).toThrow(/invalid connection string/);
    expect(() => resolveConnOptions({ port: 'x' })).toThrow(/invalid port/);
  });
});
