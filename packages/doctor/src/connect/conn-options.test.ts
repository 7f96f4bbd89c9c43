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

  it('takes a bare word as the database name, as psql does', () => {
    expect(resolveConnOptions({ conninfo: 'shop', env: { PGHOST: 'h', PGUSER: 'u' } })).toMatchObject({ host: 'h', user: 'u', database: 'shop' });
  });

  it('reads Unix socket directories, IPv6 hosts and query parameters of a URL', () => {
    expect(resolveConnOptions({ conninfo: 'postgresql://%2Fvar%2Frun%2Fpostgresql/db' })).toMatchObject({ host: '/var/run/postgresql', database: 'db' });
    expect(resolveConnOptions({ conninfo: 'postgresql:///db?host=/tmp&port=5499&user=x' })).toMatchObject({ host: '/tmp', port: 5499, user: 'x' });
    expect(resolveConnOptions({ conninfo: 'postgresql://u@[::1]:5433/d' })).toMatchObject({ host: '::1', port: 5433 });
    expect(resolveConnOptions({ conninfo: 'postgres://u@h/my%20db?application_name=x&connect_timeout=5' })).toMatchObject({ database: 'my db', connectTimeout: 5 });
  });

  it('bounds connect_timeout like libpq: at least 2 s, and 0 (forever) becomes the default', () => {
    expect(resolveConnOptions({ conninfo: 'host=h connect_timeout=1' }).connectTimeout).toBe(2);
    expect(resolveConnOptions({ conninfo: 'host=h connect_timeout=0' }).connectTimeout).toBe(10);
    expect(() => resolveConnOptions({ conninfo: 'host=h connect_timeout=soon' })).toThrow(/invalid connect_timeout/);
  });

  it('finds the password file: passfile, then PGPASSFILE, then ~/.pgpass', () => {
    expect(resolveConnOptions({ env: { HOME: '/home/a/' } }).passfile).toBe('/home/a/.pgpass');
    expect(resolveConnOptions({ env: { HOME: '/home/a', PGPASSFILE: '/etc/pw' } }).passfile).toBe('/etc/pw');
    expect(resolveConnOptions({ conninfo: 'passfile=/x', env: { PGPASSFILE: '/etc/pw' } }).passfile).toBe('/x');
    expect(resolveConnOptions({ env: {} }).passfile).toBeUndefined();
  });

  it('rejects typos and what it cannot do, naming the part but never echoing a password', () => {
    const cases: Array<[string, RegExp]> = [
      ['hots=db1 password=hunter22', /invalid connection option "hots"/],
      ['postgresql://u:hunter22@h/d?sslmod=require', /invalid connection option "sslmod"/],
      ['postgresql://u:hunter22%zz@h/d', /bad %-escape in the password/],
      ['postgresql://u:hunter22@h:99999/d', /invalid connection URL/],
      ['mysql://u:hunter22@h/d', /must start with postgresql:\/\//],
      ['postgresql://u:hunter22@h1,h2/d', /several hosts/],
      ["host=h password='hunter22", /invalid connection string/],
      ['host=h sslmode=maybe password=hunter22', /invalid sslmode "maybe"/],
      ['port=0 password=hunter22', /invalid port "0"/],
      ['port=5432x password=hunter22', /invalid port "5432x"/],
    ];
    for (const [conninfo, message] of cases) {
      let error: unknown;
      try {
        resolveConnOptions({ conninfo });
      } catch (e) {
        error = e;
      }
      expect(error, conninfo).toMatchObject({ code: 'usage', message: expect.stringMatching(message) });
      expect((error as Error).message).not.toContain('hunter22');
    }
  });

  it('accepts libpq keywords it does not use, rather than failing on a valid libpq string', () => {
    expect(resolveConnOptions({ conninfo: 'host=h target_session_attrs=any gssencmode=disable options=-cjit=off' })).toMatchObject({ host: 'h' });
  });
});
